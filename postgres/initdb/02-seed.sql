-- 50 agents, numbers "300" to "349", all in numgroup 1 and context "default".
-- agent_login_status stays empty: every agent is logged out, so the LEFT JOIN
-- in the agents query yields NULL extension, context and state_interface.
INSERT INTO agentfeatures (numgroup, number, context)
SELECT 1, n::text, 'default'
FROM generate_series(300, 349) AS n
ORDER BY n;

ANALYZE agentfeatures;
ANALYZE agent_login_status;
