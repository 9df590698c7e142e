using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Horodate.Client.Status;
using Horodate.Core.Verification;
using Horodate.FunctionalTests.Support;
using Horodate.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Horodate.FunctionalTests;

/// <summary>TLS on the raw TCP protocol, with a self-signed certificate made for the test.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task A_tls_client_is_served_acknowledged_and_stored_like_a_plain_one()
    {
        using var dir = new TempDirectory();
        await using var harness = await StartTlsServerAsync(dir);
        Assert.Equal(TransportKind.Kestrel, harness.Server.Transport); // TLS picks the Kestrel transport
        var record = dir.File("sent.txt");

        var client = await RunClientAsync(harness, insecure: true, record, logs: null);
        var server = await harness.StopAsync();

        Assert.True(client.Sent > 0, "nothing was sent over TLS");
        Assert.Equal("ack", client.AckMode);
        Assert.Equal(client.Sent, client.Acked);
        var report = TimestampVerifier.Verify(harness.Output, unique: true, record);
        Assert.True(report.Passed, EndToEndTests.VerifyText(report) + $" | server: {server}");
    }

    [Fact]
    public async Task A_tls_client_refuses_an_untrusted_certificate_and_says_why()
    {
        using var dir = new TempDirectory();
        await using var harness = await StartTlsServerAsync(dir);
        var logs = new CapturingLoggerProvider();

        var client = await RunClientAsync(harness, insecure: false, record: null, logs);
        await harness.StopAsync();

        Assert.Equal(0, client.Sent);
        Assert.Empty(harness.ReadOutput());
        Assert.Contains(logs.Messages, m => m.Message.Contains("TLS:"));
    }

    [Fact]
    public async Task A_plain_peer_cannot_slip_values_past_a_tls_server()
    {
        using var dir = new TempDirectory();
        await using var harness = await StartTlsServerAsync(dir);
        await RawPeer.ExpectRefusedAsync(harness.Endpoint, $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n"); // the handshake fails

        var summary = await harness.StopAsync();
        Assert.Equal(0, summary.Received);
        Assert.Empty(harness.ReadOutput());
    }

    private static async Task<ServerHarness> StartTlsServerAsync(TempDirectory dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var certPath = dir.File("server.crt");
        var keyPath = dir.File("server.key");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        return await ServerHarness.StartAsync(dir, o => o with { TlsCertificatePath = certPath, TlsKeyPath = keyPath });
    }

    private static async Task<ClientSummary> RunClientAsync(ServerHarness harness, bool insecure, string? record, CapturingLoggerProvider? logs)
    {
        using var factory = LoggerFactory.Create(l =>
        {
            if (logs is not null)
            {
                l.AddProvider(logs);
            }
        });
        return await TestClient.RunAsync(
            TestClient.Options(harness, 10) with { Duration = TimeSpan.FromSeconds(1.5), Tls = true, TlsInsecure = insecure, RecordPath = record },
            factory.CreateLogger("client"));
    }
}
