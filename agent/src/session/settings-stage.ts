import { EXIT } from '../cli/command.ts';
import type { AgentAdapter, AgentCommandLine, LaunchContext, LaunchPlan } from './agent-adapter.ts';
import { type StageResult, stageFailure } from './stage.ts';

/**
 * Settings stage: the agent's own configuration for this session (hooks to this session's daemon,
 * the proxy as the model API, the policy's native rules) and the arguments and environment it is
 * launched with, from the agent's adapter. A file that cannot be written stops the session before
 * the agent starts.
 */
export function runSettingsStage<Line extends AgentCommandLine, Config>(
  adapter: AgentAdapter<Line, Config>,
  line: Line,
  config: Config,
  session: LaunchContext,
): StageResult<LaunchPlan> {
  try {
    return { ok: true, value: adapter.prepareLaunch(line, config, session) };
  } catch (error) {
    return stageFailure(
      `Cannot write the ${adapter.product} settings for this session: ${(error as Error).message}`,
      EXIT.FAILURE,
    );
  }
}
