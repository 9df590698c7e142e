namespace Horodate.Core.Storage;

/// <summary>What <see cref="TimestampFile.Open(string, bool)"/> found in an existing file.</summary>
/// <param name="LastValue">The last complete value in the file, or <see langword="null"/> for an empty or new file.</param>
/// <param name="TruncatedBytes">Bytes of a partial last line (left by a crash) that were cut off; 0 normally.</param>
/// <param name="Length">The file's length after any cut, where appending continues.</param>
/// <param name="RecentValues">Values read back from the end of the file, ascending (for dedupe of late resends).</param>
public sealed record ResumeInfo(long? LastValue, long TruncatedBytes, long Length, IReadOnlyList<long> RecentValues);
