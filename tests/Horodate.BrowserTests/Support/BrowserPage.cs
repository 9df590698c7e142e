using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Playwright;

namespace Horodate.BrowserTests.Support;

/// <summary>An open page, its console errors, and waits phrased as the dashboard shows things.</summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly ConcurrentQueue<string> _errors = new();

    internal BrowserPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Enqueue($"console: {message.Text}");
            }
        };
        page.PageError += (_, error) => _errors.Enqueue($"uncaught: {error}");
    }

    public IPage Page { get; }

    /// <summary>What the page logged as errors, and what it threw and did not catch.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>The raw number behind a displayed value (<c>data-value</c>), or null when none is shown yet.</summary>
    public async Task<double?> ValueAsync(string id)
    {
        var raw = await Page.Locator($"#{id}").GetAttributeAsync("data-value");
        return string.IsNullOrEmpty(raw) ? null : double.Parse(raw, CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the page's JavaScript <paramref name="condition"/> holds (bounded by the page's default timeout).</summary>
    public Task WaitUntilAsync(string condition, object? argument = null) =>
        Page.WaitForFunctionAsync(condition, argument, new PageWaitForFunctionOptions { PollingInterval = 100 });

    /// <summary>Waits until the raw number behind <paramref name="id"/> satisfies <c>v OP operand</c>.</summary>
    public Task WaitForValueAsync(string id, string op, double operand) =>
        WaitUntilAsync(
            $"([id, operand]) => {{ const v = document.getElementById(id)?.dataset.value; return v !== undefined && v !== '' && Number(v) {op} operand; }}",
            new object[] { id, operand });

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
