using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SessionMesh.Contracts;
using static SessionMesh.Cli.CommandBuilder;

namespace SessionMesh.Cli;

/// <summary>doctor [--repair]: the mesh's audit (admin key needed). Exit 0 when clean, 1 with violations.</summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var repair = new Option<bool>("--repair") { Description = "Ask every session and agent named by a violation to finish its recorded intents, then audit again." };
        return CommandBuilder.Create("doctor", """
            Audit the mesh's invariants (sessions, agents, registry, counters, leases, directives) and
            list every violation with its ids. Exit code 0 when clean, 1 when violations remain.
              session-mesh doctor
              session-mesh doctor --repair
              session-mesh doctor --output json
            """, repair).Runs(async (parse, ct) =>
        {
            using var http = Globals.Http(parse);
            var output = Globals.Out(parse);
            JsonElement report;
            if (parse.GetValue(repair))
            {
                // Repair only re-drives idempotent intents, so it is safe to retry.
                var result = (await http.SendAsync(HttpMethod.Post, ApiRoutes.AuditRepair, null, safeToRepeat: true, ct))!.Value;
                output.Write(result, r => Output.Rows(r.GetProperty("resumed").EnumerateArray(),
                    ("resumed", x => $"{Output.Field(x, "target", "kind")} {Output.Field(x, "target", "id")}"),
                    ("intents finished", x => Output.Field(x, "intents_finished")),
                    ("error", x => Output.Field(x, "error"))));
                report = result.GetProperty("after");
                if (!output.Json)
                {
                    output.Line($"before repair: {CliJson.Read<AuditRepairResponse>(result)!.Before.Violations.Count.ToString(CultureInfo.InvariantCulture)} violation(s); after:");
                    WriteReport(output, report);
                }
            }
            else
            {
                report = (await http.GetAsync(ApiRoutes.Audit, ct))!.Value;
                if (output.Json)
                {
                    output.Write(report, Output.Fields);
                }
                else
                {
                    WriteReport(output, report);
                }
            }

            return CliJson.Read<AuditResponse>(report)!.Violations.Count == 0 ? ExitCodes.Ok : ExitCodes.Error;
        });
    }

    private static void WriteReport(Output output, JsonElement report)
    {
        var violations = report.GetProperty("violations");
        if (violations.GetArrayLength() > 0)
        {
            output.Write(violations, v => Output.Rows(v.EnumerateArray(),
                ("rule", x => Output.Field(x, "rule")),
                ("ids", x => string.Join(", ", x.GetProperty("ids").EnumerateArray().Select(i => i.GetString()))),
                ("detail", x => Output.Field(x, "detail"))));
        }

        var checkedCounts = string.Join(", ", report.GetProperty("checked").EnumerateObject().Select(p => $"{p.Value.GetRawText()} {p.Name}"));
        output.Line(violations.GetArrayLength() == 0
            ? $"clean: no violations ({checkedCounts} checked)"
            : $"{violations.GetArrayLength().ToString(CultureInfo.InvariantCulture)} violation(s) ({checkedCounts} checked)");
    }
}
