using Backends.OpenCL;
using Spectre.Console;

namespace Backends.Cli;

/// <summary>One line on where an OpenCL device's programs came from: compiled now, or loaded from the on-disk cache.</summary>
internal static class CacheReport
{
    public static void Print(Device device)
    {
        if (device is OpenCLDevice cl)
        {
            AnsiConsole.MarkupLine(
                $"[grey]{Markup.Escape(cl.Id)} programs: {cl.ProgramsBuilt} compiled, {cl.ProgramsLoadedFromCache} loaded from the cache ({Markup.Escape(cl.ProgramCacheDirectory ?? "no cache folder")})[/]");
        }
    }
}
