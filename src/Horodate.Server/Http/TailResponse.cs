namespace Horodate.Server.Http;

/// <summary>What <c>/tail</c> returns: the last values of the ordered output file, in file order.</summary>
internal sealed record TailResponse
{
    public required long[] Values { get; init; }
}
