using System.Globalization;
using Horodate.Core.Storage;
using Horodate.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Horodate.Server.Http;

internal sealed partial class HttpEndpoint
{
    /// <summary>The most values <c>/tail</c> returns: 1,000 lines are 14 KB of JSON.</summary>
    public const int MaxTail = 1_000;

    /// <summary>Only this origin's scripts, styles and requests: the page works offline and cannot be framed.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static void MapDashboard(IEndpointRouteBuilder app, HttpSources sources)
    {
        var assets = DashboardAssets.Load();
        var output = new TimestampReader(sources.Output);
        var listen = sources.Listen.Select(e => e.ToString()).ToArray();
        var transport = sources.Transport.ToString().ToLowerInvariant();

        app.MapGet("/", (HttpContext context) => Serve(context, assets, DashboardAssets.Index));
        app.MapGet("/dashboard/{name}", (HttpContext context, string name) => Serve(context, assets, name));

        app.MapGet("/history", (string? after) =>
        {
            long since = 0;
            if (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out since))
            {
                return Results.Text($"after: expected Unix milliseconds, got '{after}'\n", statusCode: StatusCodes.Status400BadRequest);
            }

            return Results.Json(new HistoryResponse
            {
                StartedAt = sources.StartedAt,
                IntervalMs = (long)sources.History.Interval.TotalMilliseconds,
                Output = sources.Output,
                Transport = transport,
                Listen = listen,
                Samples = sources.History.Since(since),
            }, ServerJsonContext.Default.HistoryResponse);
        });

        app.MapGet("/tail", (string? count) =>
        {
            var n = 20;
            if (count is not null && (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n is < 1 or > MaxTail))
            {
                return Results.Text($"count: expected 1 to {MaxTail}, got '{count}'\n", statusCode: StatusCodes.Status400BadRequest);
            }

            return Results.Json(new TailResponse { Values = output.ReadLast(n) }, ServerJsonContext.Default.TailResponse);
        });
    }

    private static IResult Serve(HttpContext context, DashboardAssets assets, string name)
    {
        if (!assets.TryGet(name, out var asset))
        {
            return Results.NotFound();
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache"; // revalidate: a new build serves new files at the same names
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }
}
