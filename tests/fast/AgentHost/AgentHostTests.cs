using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Core.Internal;
using SessionMesh.Agents;
using SessionMesh.Client;
using SessionMesh.Liveness;
using SessionMesh.Sessions;
using SessionMesh.Tests.Infrastructure;

namespace SessionMesh.Tests.AgentHost;

/// <summary>A .NET agent run by <c>AddSessionMeshAgent</c> in a real host keeps the runner's contract, over the grain interfaces.</summary>
[Collection(SessionClusterCollection.Name)]
public sealed class AgentHostTests(SessionClusterFixture fixture)
{
    private const string Specialization = "dotnet-hosting";

    private MeshCluster Mesh => fixture.Mesh;

    [Fact]
    public async Task A_subclassed_agent_registers_spawns_its_session_and_completes_it_by_returning()
    {
        var agentId = AgentHostHarness.NewAgentId();
        var probe = new WorkProbe();
        using var host = AgentHostHarness.Build(Mesh, services =>
        {
            services.AddSingleton(probe);
            services.AddSessionMeshAgent<ReturningAgent>(o =>
            {
                o.AgentId = agentId;
                o.Specialization = Specialization;
                o.AgentName = "CodeGenAgent";
                o.Purpose = "Code generation for #270";
                o.Context = new SessionContext { IssueNumber = 270, CurrentPhase = Phase.CodeGeneration };
            });
        });
        await host.StartAsync();

        var context = await probe.Started;
        await host.WaitForShutdownAsync().WaitAsync(TimeSpan.FromSeconds(AgentHostHarness.Patience));

        Assert.Equal((agentId, 1L), (context.AgentId, context.Epoch));
        var session = await Mesh.Sessions.GetSessionAsync(context.SessionId);
        Assert.Equal((SessionStatus.Completed, "CodeGenAgent", "Code generation for #270", agentId, 270UL),
            (session.Status, session.AgentName, session.Purpose, session.AgentId, session.Context.IssueNumber));
        var agent = await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Idle, AgentHostHarness.Patience);
        Assert.Equal((AgentStatus.Idle, (Guid?)null, "CodeGenAgent"), (agent.Status, agent.CurrentSession, agent.DisplayName));
        Assert.Contains(agentId, (await Mesh.Agents.FindAgentsAsync(Specialization)).Select(a => a.AgentId));

        // Ended on purpose: the agent's lease was released, so it never turns Lost.
        var key = LeaseKey.ForAgent(agentId);
        Assert.Null(await Eventually.WaitForAsync(() => LivenessShards.For(Mesh.Client, key).GetAsync(key), l => l is null, AgentHostHarness.Patience));
    }

    [Fact]
    public async Task Work_that_throws_fails_the_session_with_its_message()
    {
        var agentId = AgentHostHarness.NewAgentId();
        var probe = new WorkProbe();
        await using var harness = await AgentHostHarness.StartAsync(Mesh, o => Configure(o, agentId), (context, _) =>
        {
            probe.Start(context);
            throw new InvalidOperationException("the build broke: 3 tests failed");
        });

        var context = await probe.Started;
        await harness.StoppedByItselfAsync();

        var session = await Mesh.Sessions.GetSessionAsync(context.SessionId);
        Assert.Equal((SessionStatus.Failed, "the build broke: 3 tests failed"), (session.Status, session.Error));
        var agent = await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Idle, AgentHostHarness.Patience);
        Assert.Equal(AgentStatus.Idle, agent.Status);
    }

    [Fact]
    public async Task Steers_reach_the_work_once_each_in_order_and_are_acknowledged_including_those_issued_while_unsubscribed()
    {
        var agentId = AgentHostHarness.NewAgentId();
        await Mesh.Agents.RegisterAsync(agentId, Specialization);
        await Mesh.Agents.SteerAsync(agentId, "north", "issued before the agent ran");

        var probe = new WorkProbe();
        await using var harness = await AgentHostHarness.StartAsync(Mesh, o =>
        {
            Configure(o, agentId);
            o.SubscriptionRenewal = TimeSpan.FromSeconds(2);
        }, (context, token) => probe.ReadDirectivesUntilStoppedAsync(context, token));
        await probe.Started;

        // The backlog first, then a push.
        await WaitForAcknowledgedAsync(agentId, probe, 1);
        await Mesh.Agents.SteerAsync(agentId, "west", "pushed");
        await WaitForAcknowledgedAsync(agentId, probe, 2);

        // The agent grain forgets its observers when it deactivates: these are not pushed, and are
        // delivered when the subscription is renewed and the backlog re-read.
        await Mesh.Client.GetGrain<IAgentGrain>(agentId).AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        await Mesh.Agents.SteerAsync(agentId, "south", "while unsubscribed");
        await Mesh.Agents.SteerAsync(agentId, "east", "while unsubscribed");
        await WaitForAcknowledgedAsync(agentId, probe, 4);

        await Mesh.Agents.SteerAsync(agentId, "up", "pushed again");
        await WaitForAcknowledgedAsync(agentId, probe, 5);
        Assert.Equal([1L, 2, 3, 4, 5], probe.Sequences);
        Assert.Equal(["north", "west", "south", "east", "up"], probe.Received.Select(d => d.Direction));
        Assert.All(probe.Received, d => Assert.Equal(DirectiveKind.Steer, d.Kind));
    }

    [Fact]
    public async Task A_new_run_resumes_after_the_last_acknowledged_directive()
    {
        var agentId = AgentHostHarness.NewAgentId();
        var first = new WorkProbe();
        await using (var harness = await AgentHostHarness.StartAsync(Mesh, o => Configure(o, agentId), (context, token) => first.ReadDirectivesUntilStoppedAsync(context, token)))
        {
            await first.Started;
            await Mesh.Agents.SteerAsync(agentId, "one");
            await Mesh.Agents.SteerAsync(agentId, "two");
            await WaitForAcknowledgedAsync(agentId, first, 2);
        }

        // No agent process runs: these wait in the backlog.
        await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Idle, AgentHostHarness.Patience);
        await Mesh.Agents.SteerAsync(agentId, "three");
        await Mesh.Agents.SteerAsync(agentId, "four");

        var second = new WorkProbe();
        await using (var harness = await AgentHostHarness.StartAsync(Mesh, o => Configure(o, agentId), (context, token) => second.ReadDirectivesUntilStoppedAsync(context, token)))
        {
            var context = await second.Started;
            await WaitForAcknowledgedAsync(agentId, second, 4);
            Assert.Equal([1L, 2], first.Sequences);
            Assert.Equal([3L, 4], second.Sequences);
            Assert.NotEqual((await first.Started).SessionId, context.SessionId);
        }
    }

    [Fact]
    public async Task A_forced_kill_cancels_the_work_and_the_session_ends_failed_killed()
    {
        var agentId = AgentHostHarness.NewAgentId();
        var probe = new WorkProbe();
        await using var harness = await AgentHostHarness.StartAsync(Mesh, o =>
        {
            Configure(o, agentId);
            o.SubscriptionRenewal = TimeSpan.FromSeconds(1);
        }, (context, token) => probe.ReadDirectivesUntilStoppedAsync(context, token, rethrow: true));
        var context = await probe.Started;

        await Mesh.Agents.KillAsync(agentId, force: true);

        Assert.Equal(AgentStopReason.Killed, await probe.Stopped);
        await harness.StoppedByItselfAsync();
        var session = await Mesh.Sessions.GetSessionAsync(context.SessionId);
        Assert.Equal((SessionStatus.Failed, "killed"), (session.Status, session.Error));
        Assert.Equal(AgentStatus.Killed, (await Mesh.Agents.GetAgentAsync(agentId)).Status);
    }

    [Fact]
    public async Task A_graceful_kill_cancels_the_work_and_its_acknowledgement_makes_the_agent_killed()
    {
        var agentId = AgentHostHarness.NewAgentId();
        var probe = new WorkProbe();
        await using var harness = await AgentHostHarness.StartAsync(Mesh, o => Configure(o, agentId), (context, token) => probe.ReadDirectivesUntilStoppedAsync(context, token));
        var context = await probe.Started;

        // A grace far longer than the test waits: only the acknowledgement can make the kill final.
        var draining = await Mesh.Agents.KillAsync(agentId, grace: TimeSpan.FromMinutes(30));
        Assert.Equal(AgentStatus.Draining, draining.Status);

        Assert.Equal(AgentStopReason.KillDirective, await probe.Stopped);
        await harness.StoppedByItselfAsync();
        var agent = await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Killed, AgentHostHarness.Patience);
        Assert.Equal((AgentStatus.Killed, draining.LastSequence), (agent.Status, agent.AcknowledgedThrough));
        var session = await Mesh.Sessions.GetSessionAsync(context.SessionId);
        Assert.Equal((SessionStatus.Failed, "killed"), (session.Status, session.Error));
        Assert.Empty(probe.Received); // a kill directive is not handed to the work
    }

    [Fact]
    public async Task A_host_stop_cancels_the_work_and_a_work_cut_short_fails_the_session_but_leaves_the_agent_idle()
    {
        var agentId = AgentHostHarness.NewAgentId();
        var probe = new WorkProbe();
        var harness = await AgentHostHarness.StartAsync(Mesh, o => Configure(o, agentId), (context, token) => probe.ReadDirectivesUntilStoppedAsync(context, token, rethrow: true));
        var context = await probe.Started;

        await harness.DisposeAsync();

        Assert.Equal(AgentStopReason.HostStopping, await probe.Stopped);
        var session = await Mesh.Sessions.GetSessionAsync(context.SessionId);
        Assert.Equal((SessionStatus.Failed, "stopped: the host shut down before the work finished"), (session.Status, session.Error));
        var agent = await Eventually.WaitForAsync(() => Mesh.Agents.GetAgentAsync(agentId), a => a.Status == AgentStatus.Idle, AgentHostHarness.Patience);
        Assert.Equal(AgentStatus.Idle, agent.Status);
    }

    [Fact]
    public async Task A_killed_agent_does_not_start_and_says_why()
    {
        var agentId = AgentHostHarness.NewAgentId();
        await Mesh.Agents.RegisterAsync(agentId, Specialization);
        await Mesh.Agents.KillAsync(agentId, force: true);
        var ran = false;
        using var host = AgentHostHarness.Build(Mesh, services => services.AddSessionMeshAgent(o => Configure(o, agentId), (_, _) =>
        {
            ran = true;
            return Task.CompletedTask;
        }));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("was killed", error.Message, StringComparison.Ordinal);
        Assert.False(ran);
        await host.StopAsync();
    }

    [Fact]
    public async Task Bad_options_stop_the_host_from_starting_naming_the_setting()
    {
        using var host = AgentHostHarness.Build(Mesh, services => services.AddSessionMeshAgent(
            o =>
            {
                o.Specialization = Specialization;
                o.LeaseTtl = TimeSpan.FromMilliseconds(10);
            },
            (_, _) => Task.CompletedTask));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("AgentId", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("LeaseTtl", StringComparison.Ordinal));
    }

    private static void Configure(SessionMeshAgentOptions options, string agentId)
    {
        options.AgentId = agentId;
        options.Specialization = Specialization;
        options.Purpose = "agent host test";
    }

    private async Task WaitForAcknowledgedAsync(string agentId, WorkProbe probe, long sequence)
    {
        var agent = await Eventually.WaitForAsync(
            () => Mesh.Agents.GetAgentAsync(agentId),
            a => a.AcknowledgedThrough >= sequence && probe.Received.LastOrDefault()?.Sequence >= sequence,
            AgentHostHarness.Patience);
        Assert.Equal(sequence, agent.AcknowledgedThrough);
        Assert.Equal(sequence, probe.Received.Last().Sequence);
    }

    /// <summary>An agent written as a subclass, its services from the host's container.</summary>
    private sealed class ReturningAgent(WorkProbe probe) : SessionMeshAgent
    {
        protected override Task ExecuteAsync(AgentContext context, CancellationToken stoppingToken)
        {
            probe.Start(context);
            return Task.CompletedTask;
        }
    }
}
