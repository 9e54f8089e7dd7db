using System.Linq;
using Xunit;

namespace Backends.Tests;

/// <summary><c>BACKENDS_REQUIRE</c>: every listed backend or device must be present, or the run fails.</summary>
public sealed class RequiredDevicesTests
{
    public static TheoryData<string> RequiredEntries()
    {
        var data = new TheoryData<string>();
        foreach (string r in TestDevices.Required)
        {
            data.Add(r);
        }

        if (data.Count == 0)
        {
            data.Add("(none)");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RequiredEntries))]
    public void RequiredBackend_IsAvailable(string entry)
    {
        if (entry == "(none)")
        {
            Assert.Empty(TestDevices.Required);
            return;
        }

        string id = entry.Contains(':', System.StringComparison.Ordinal) ? entry : entry + ":0";
        string? why = TestDevices.WhyMissing(id);
        Assert.True(why is null, $"{entry} is required by {TestDevices.RequireVariable} but unavailable: {why}");
        Device d = TestDevices.Get(id);
        Assert.Equal(id, d.Id);
    }

    [Fact]
    public void Registry_AlwaysHasCpu()
    {
        Assert.Contains(TestDevices.Registry.Devices, d => d.Id == "cpu:0");
        Assert.True(TestDevices.Registry.Backends.All(b => b.IsAvailable || b.UnavailableReason is { Length: > 0 }));
    }

    /// <summary>Every backend of the build (BackendRegistry.CreateDefault()), so that one absent here is visible.</summary>
    public static TheoryData<string> RegisteredBackends() => [.. TestDevices.Registry.Backends.Select(b => b.Name)];

    [Theory]
    [MemberData(nameof(RegisteredBackends))]
    public void RegisteredBackend_IsPresentHere(string backend)
    {
        Backend b = TestDevices.Registry.Find(backend)!;
        if (!b.IsAvailable)
        {
            if (TestDevices.IsRequired(backend + ":0"))
            {
                Assert.Fail($"{backend} is required by {TestDevices.RequireVariable} but unavailable: {b.UnavailableReason}");
            }

            Assert.Skip($"{backend} is not present here: {b.UnavailableReason}");
        }

        Assert.NotEmpty(b.Devices);
        Assert.Contains(TestDevices.Ids, id => id == b.Devices[0].Id);
    }
}
