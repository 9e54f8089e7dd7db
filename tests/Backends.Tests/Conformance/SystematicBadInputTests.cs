using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;
using Backends.Conformance;

namespace Backends.Tests;

/// <summary>
/// Bad inputs generated from the catalog, so no op and no argument is missed: for every op and every tensor it takes,
/// the call is made with that one tensor replaced by one of another device, a disposed one, one of a dtype no op takes
/// (u8), or one with a wrong shape. Each must throw the right exception before launch, with every output untouched.
/// </summary>
public sealed class SystematicBadInputTests
{
    public static TheoryData<string, string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (string id in TestDevices.Ids)
        {
            foreach (OpSpec spec in OpCatalog.All)
            {
                foreach (HostTensor t in FirstCase(spec).Tensors)
                {
                    foreach (string kind in new[] { "foreign", "disposed", "dtype", "shape" })
                    {
                        // MoePermute takes its expert count from the offsets' length: a longer one is a valid call.
                        if (!(spec.Kind == OpKind.MoePermute && t.Name == "offsets" && kind == "shape"))
                        {
                            data.Add(id, spec.Name, t.Name, kind);
                        }
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReplacedArgument_IsRefused_OutputsUntouched(string device, string op, string tensor, string kind)
    {
        Device d = TestDevices.Get(device);
        OpCase c = FirstCase(OpCatalog.Get(op));
        using DeviceStream s = d.CreateStream();
        using OpRun run = c.Prepare(d, s);
        HostTensor victim = c.Tensor(tensor);
        TensorView original = run.View(tensor);
        using var owned = new Owned();
        (TensorView bad, Type expected) = kind switch
        {
            "foreign" => (owned.Foreign(d).Allocate(victim.DType, victim.Shape), typeof(DeviceMismatchException)),
            "disposed" => (Disposed(d, victim), typeof(ObjectDisposedException)),
            "dtype" => (owned.Keep(d.Allocate(DType.U8, victim.Shape)), typeof(BackendException)),
            _ => (owned.Keep(d.Allocate(victim.DType, WrongShape(op, tensor, victim.Shape))), typeof(ArgumentException)),
        };

        List<(TensorView View, byte[] Bytes)> before = c.Tensors.Where(t => t.Role != TensorRole.Input)
            .Select(t => (run.View(t.Name), Read(s, run.View(t.Name)))).ToList();

        Exception? ex = Record.Exception(() => c.Launch(d.Kernels, s, name => name == tensor ? bad : run.View(name)));

        Assert.NotNull(ex);
        OpKind opKind = OpCatalog.Get(op).Kind;
        bool unclaimed = !OpContracts.DataTypes(opKind).Any(t => d.Supports(opKind, t)); // refused as unsupported: also before launch
        bool ok = expected.IsInstanceOfType(ex) || (kind == "dtype" && ex is ArgumentException) || (unclaimed && ex is UnsupportedOpException);
        Assert.True(ok, $"{op} with {kind} {tensor}: expected {expected.Name}, got {ex.GetType().Name}: {ex.Message}");
        foreach ((TensorView v, byte[] bytes) in before)
        {
            Assert.Equal(bytes, Read(s, v));
        }

        GC.KeepAlive(original);
    }

    private static OpCase FirstCase(OpSpec spec)
    {
        DType dt = spec.DTypes[0];
        PlannedCase pc = ConformanceSuite.Plan(spec, dt, 1).First(p => !p.Specials && p.Build().Tensors.All(t => t.Values.Length > 1));
        return pc.Build();
    }

    /// <summary>
    /// One more along the leading dimension (tokens, rows: always tied to another argument); for the expert outputs of
    /// MoeUnpermute, whose row count is free, one more column instead.
    /// </summary>
    private static int[] WrongShape(string op, string tensor, int[] shape) =>
        shape.Length == 0 ? [2]
        : op == "moe-unpermute" && tensor == "expertOut" ? [.. shape[..^1], shape[^1] + 1]
        : [shape[0] + 1, .. shape[1..]];

    private static TensorView Disposed(Device d, HostTensor t)
    {
        TensorView v = d.Allocate(t.DType, t.Shape);
        v.Buffer.Dispose();
        return v;
    }

    private static byte[] Read(DeviceStream s, TensorView v)
    {
        var bytes = new byte[v.SizeInBytes];
        s.ReadBytes(v, bytes);
        return bytes;
    }

    private sealed class Owned : IDisposable
    {
        private readonly List<IDisposable> _items = [];
        private Device? _foreign;

        public Device Foreign(Device d) => _foreign ??= Add(TestDevices.Registry.Open(d.Id));

        public TensorView Keep(TensorView v)
        {
            _items.Add(v.Buffer);
            return v;
        }

        public void Dispose()
        {
            for (int i = _items.Count - 1; i >= 0; i--)
            {
                _items[i].Dispose();
            }
        }

        private T Add<T>(T item)
            where T : IDisposable
        {
            _items.Add(item);
            return item;
        }
    }
}
