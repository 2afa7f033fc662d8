-- Status 3 is Active: only members that are no longer active and went quiet are removed.
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status <> 3;
