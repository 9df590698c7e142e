using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Horodate.Server.Transport.Kestrel;

/// <summary>Loads the server's certificate: PEM (key beside it or in the same file) or PKCS#12.</summary>
internal static class TlsCertificate
{
    /// <exception cref="IOException">The files cannot be read or hold no usable certificate and key.</exception>
    public static X509Certificate2 Load(string certificatePath, string? keyPath)
    {
        try
        {
            var text = File.ReadAllText(certificatePath);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            }

            return X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password: null);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot load the TLS certificate {certificatePath}{(keyPath is null ? "" : $" with key {keyPath}")}: {ex.Message}", ex);
        }
    }
}
