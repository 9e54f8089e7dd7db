using System;
using System.Linq;
using Xunit;
using Backends.Conformance;

namespace Backends.Tests;

/// <summary>Every bad input gets a clear exception before launch, and the outputs keep every byte they had.</summary>
public sealed class BadInputTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string id in TestDevices.Ids)
        {
            foreach (BadInputCases.Case c in BadInputCases.All)
            {
                data.Add(id, c.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInput_ThrowsBeforeLaunch_OutputsUntouched(string device, string name)
    {
        Device d = TestDevices.Get(device);
        BadInputCases.Case c = BadInputCases.Get(name);
        using var env = new BadInputEnv(d);
        (Action call, TensorView[] outputs) = c.Make(env);
        byte[][] before = outputs.Select(o => Snapshot(env, o)).ToArray();

        Exception? ex = Record.Exception(call);

        Assert.NotNull(ex);

        // A device that does not implement the op at all may refuse the call as unsupported: still refused before
        // anything is queued, and the outputs are checked below all the same.
        bool unclaimed = OpContracts.TryParse(name.Split('/')[0], out OpKind kind) && !OpContracts.DataTypes(kind).Any(t => d.Supports(kind, t));
        Assert.True(c.Expected.IsInstanceOfType(ex) || (unclaimed && ex is UnsupportedOpException),
            $"{name}: expected {c.Expected.Name}, got {ex.GetType().Name}: {ex.Message}");
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        for (int i = 0; i < outputs.Length; i++)
        {
            Assert.Equal(before[i], Snapshot(env, outputs[i]));
        }
    }

    [Fact]
    public void Op_ListCoversEveryOp()
    {
        foreach (OpSpec s in OpCatalog.All)
        {
            Assert.True(BadInputCases.All.Count(c => c.Name.StartsWith(s.Name + "/", StringComparison.Ordinal)) >= 2, $"{s.Name} needs bad-input cases");
        }
    }

    private static byte[] Snapshot(BadInputEnv env, TensorView v)
    {
        env.S.Synchronize();
        var bytes = new byte[v.SizeInBytes];
        env.S.ReadBytes(v, bytes);
        return bytes;
    }
}
