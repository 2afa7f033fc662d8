using System.Reflection;
using SessionMesh.Contracts;

namespace SessionMesh.Tests.Contracts;

/// <summary>
/// The wire's enums and the grain contract's are separate types the edge maps by value: each wire
/// enum must have a grain enum of its name with the same members and values, or a status would be
/// shown as another (or as a number) the day one side grows a member.
/// </summary>
public sealed class WireEnumTests
{
    public static TheoryData<string> WireEnums()
    {
        var names = new TheoryData<string>();
        foreach (var type in typeof(WireJson).Assembly.GetTypes().Where(t => t.IsEnum && t.IsPublic))
        {
            names.Add(type.Name);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(WireEnums))]
    public void Each_wire_enum_has_the_grain_contracts_members_and_values(string name)
    {
        var wire = typeof(WireJson).Assembly.GetTypes().Single(t => t.IsEnum && t.Name == name);
        var grain = Assert.Single(typeof(SessionMesh.Sessions.SessionSnapshot).Assembly.GetTypes(), t => t.IsEnum && t.IsPublic && t.Name == name);
        Assert.Equal(Members(grain), Members(wire));
    }

    private static (string Name, long Value)[] Members(Type type) =>
        [.. type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (f.Name, Value: Convert.ToInt64(f.GetValue(null), System.Globalization.CultureInfo.InvariantCulture))).OrderBy(m => m.Value)];
}
