using System.Runtime.InteropServices;

namespace Horodate.Core.Durability;

/// <summary>
/// fsync of a directory, which .NET does not offer (it refuses to open a directory as a file): open(2) it read-only,
/// fsync(2), close(2). A no-op where directories need no sync (Windows makes metadata durable with the file).
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;          // O_RDONLY
    private const int Directory = 0x10000;   // O_DIRECTORY on Linux x64 and arm64 (0x4000 on macOS, where it is only a check)
    private const int CloseOnExec = 0x80000; // O_CLOEXEC on Linux

    /// <summary>Syncs the directory <paramref name="directory"/>.</summary>
    /// <exception cref="IOException">It could not be opened or synced.</exception>
    public static void Sync(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var flags = ReadOnly | (OperatingSystem.IsLinux() ? Directory | CloseOnExec : 0);
        var fd = Open(directory, flags);
        if (fd < 0)
        {
            throw new IOException($"cannot open the directory {directory} to sync it: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                throw new IOException($"fsync of {directory} failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
