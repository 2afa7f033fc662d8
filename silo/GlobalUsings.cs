// The silo works in the grain contract's enums. The wire's enums of the same names
// (SessionMesh.Contracts) appear only where grain types become wire records (Api/Wire.cs),
// qualified there; these aliases keep every other file unambiguous.
global using AgentStatus = SessionMesh.Agents.AgentStatus;
global using AuditTargetKind = SessionMesh.Audit.AuditTargetKind;
global using DirectiveKind = SessionMesh.Agents.DirectiveKind;
global using KeyScope = SessionMesh.Keys.KeyScope;
global using LeaseHealth = SessionMesh.Liveness.LeaseHealth;
global using LeaseKind = SessionMesh.Liveness.LeaseKind;
global using Phase = SessionMesh.Sessions.Phase;
global using SessionStatus = SessionMesh.Sessions.SessionStatus;
global using TopologyEventKind = SessionMesh.Topology.TopologyEventKind;
