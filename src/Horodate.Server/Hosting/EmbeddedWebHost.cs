using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Horodate.Server.Hosting;

/// <summary>
/// The slim Kestrel host both the Kestrel transport and the <c>--http</c> endpoint are built on: the server's own
/// logger factory (no host-configured providers), and a <see cref="NullHostLifetime"/> so that the program, not
/// the host, owns the signals and several servers can live in one process.
/// </summary>
internal static class EmbeddedWebHost
{
    public static WebApplicationBuilder CreateBuilder(ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "horodate-server",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, NullHostLifetime>();
        return builder;
    }
}
