using Microsoft.Playwright;

namespace Horodate.BrowserTests.Support;

/// <summary>
/// One headless Chromium per test class, driven by Playwright: Debian's <c>/usr/bin/chromium</c> (or
/// <c>HORODATE_CHROMIUM</c>), never a downloaded browser (the machine is offline). Each test gets a fresh page
/// that records the page's console errors and uncaught exceptions.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private static readonly string[] Flags =
    [
        "--no-sandbox", // CI runs as root
        "--disable-gpu",
        "--no-first-run",
        // Without these Chromium calls home at start, and this machine's closed network refuses it noisily.
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string ExecutablePath => Environment.GetEnvironmentVariable("HORODATE_CHROMIUM") ?? "/usr/bin/chromium";

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"The browser tests need Chromium at {ExecutablePath}: apt-get install chromium (scripts/test.sh does), or set HORODATE_CHROMIUM.");
        }

        _playwright = await Playwright.CreateAsync().WaitAsync(Within.Long, TestContext.Current.CancellationToken);
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Flags,
            Timeout = (float)Within.Long.TotalMilliseconds,
        });
    }

    /// <summary>A new page in a new context, 1280×900, with every Playwright wait bounded by <see cref="Within.Short"/>.</summary>
    public async Task<BrowserPage> OpenAsync(Uri url)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            ColorScheme = ColorScheme.Light,
        });
        context.SetDefaultTimeout((float)Within.Short.TotalMilliseconds);
        var page = await context.NewPageAsync();
        var opened = new BrowserPage(context, page);
        await page.GotoAsync(url.ToString());
        return opened;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
