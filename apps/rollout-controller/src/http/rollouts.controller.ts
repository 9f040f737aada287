import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, Headers, HttpCode, Inject, NotFoundException, Param, Post, Put, Res } from '@nestjs/common';
import { Actor, CurrentActor, RequireRole } from '@iris/auth';
import type { IrisConfig } from '@iris/config';
import { IRIS_CONFIG, SchemaParam } from '@iris/runtime';
import { AgentParam } from './rollout-api';
import type { z } from 'zod';
import { isInProgress, NoActiveRolloutError, resultsFromEvalMetrics, type RolloutCommand } from '../domain';
import { RolloutCommandHandler } from '../rollout-command-handler';
import { publishedTable } from '../rollout-log';
import { VersionCatalog } from '../version-catalog';
import { parseBody, parseIfMatch, toHttpError } from './http-errors';
import { parseStartRollout } from './start-rollout-request';
import {
  EvalResultsSchema,
  ExternalGateResultSchema,
  FleetPolicySchema,
  ReasonOptionalSchema,
  ReasonRequiredSchema,
  TargetingSchema,
} from './request-schemas';

interface ReplyLike {
  header(name: string, value: string): unknown;
}

type SimpleAction = 'advance' | 'pause' | 'resume' | 'promote' | 'abort' | 'rollback';

const ACTIONS: Record<SimpleAction, { type: RolloutCommand['type']; schema: z.ZodType<{ reason?: string; commandId?: string }> }> = {
  advance: { type: 'Advance', schema: ReasonOptionalSchema },
  pause: { type: 'Pause', schema: ReasonRequiredSchema },
  resume: { type: 'Resume', schema: ReasonOptionalSchema },
  promote: { type: 'Promote', schema: ReasonOptionalSchema },
  abort: { type: 'Abort', schema: ReasonRequiredSchema },
  rollback: { type: 'RollBack', schema: ReasonRequiredSchema },
};

/**
 * The rollout API. Viewers read; operators act. Every action is a decider command with an id (a retry
 * with the same `commandId` changes nothing) and the actor; `If-Match: <version>` makes it conditional
 * on the state the caller saw (409 otherwise). The ETag of GET …/rollout is that version.
 */
@Controller('v1/agents/:agent')
export class RolloutsController {
  constructor(
    private readonly handler: RolloutCommandHandler,
    private readonly catalog: VersionCatalog,
    @Inject(IRIS_CONFIG) private readonly config: IrisConfig,
  ) {}

  @Get('rollout')
  async state(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string, @Res({ passthrough: true }) reply: ReplyLike) {
    const { state, version } = await this.handler.load(agent);
    reply.header('ETag', `"${version}"`);
    return {
      agent,
      environment: this.config.environment,
      version: version.toString(),
      rollout: state.rollout ?? null,
      fleet: state.fleet.map((v) => ({ ...v, label: this.catalog.get(agent, v.versionId)?.label })),
      targeting: state.targeting,
      fleetPolicy: state.fleetPolicy,
      routingRevision: state.routing.revision,
    };
  }

  @Get('rollout/history')
  async history(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string) {
    return { agent, environment: this.config.environment, events: await this.handler.history(agent) };
  }

  @Get('routing')
  async routing(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string) {
    const { state } = await this.handler.load(agent);
    const table = state.routing.table;
    return { agent, environment: this.config.environment, revision: state.routing.revision, table: table && publishedTable(table, agent, this.catalog) };
  }

  @Post('rollouts')
  @RequireRole('operator')
  async start(
    @Param('agent', new SchemaParam('agent', AgentParam)) agent: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: ReplyLike,
  ) {
    const { commandId, data } = parseStartRollout(body);
    const command: RolloutCommand = { type: 'StartRollout', data, metadata: this.metadata(actor, commandId) };
    return this.execute(agent, command, parseIfMatch(ifMatch), reply);
  }

  @Post('rollout/:action')
  @HttpCode(200)
  @RequireRole('operator')
  async act(
    @Param('agent', new SchemaParam('agent', AgentParam)) agent: string,
    @Param('action') action: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: ReplyLike,
  ) {
    if (action === 'external-gates') return this.externalGate(agent, body, ifMatch, actor, reply);
    if (action === 'eval-results') return this.evalResults(agent, body, actor);
    const spec = ACTIONS[action as SimpleAction];
    if (!spec)
      throw new NotFoundException({ statusCode: 404, error: 'Not Found', code: 'UNKNOWN_ACTION', message: `unknown action ${action}`, errors: [{ field: 'action', reason: `must be one of ${[...Object.keys(ACTIONS), 'external-gates', 'eval-results'].join(', ')}` }] });
    const { commandId, reason } = parseBody(spec.schema, body);
    const command = { type: spec.type, data: reason === undefined ? {} : { reason }, metadata: this.metadata(actor, commandId) } as RolloutCommand;
    return this.execute(agent, command, parseIfMatch(ifMatch), reply);
  }

  @Put('targeting')
  @RequireRole('operator')
  async targeting(
    @Param('agent', new SchemaParam('agent', AgentParam)) agent: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: ReplyLike,
  ) {
    const { commandId, ...targeting } = parseBody(TargetingSchema, body);
    const command: RolloutCommand = { type: 'SetTargeting', data: { targeting }, metadata: this.metadata(actor, commandId) };
    return this.execute(agent, command, parseIfMatch(ifMatch), reply);
  }

  @Put('fleet-policy')
  @RequireRole('operator')
  async fleetPolicy(
    @Param('agent', new SchemaParam('agent', AgentParam)) agent: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: ReplyLike,
  ) {
    const { commandId, ...policy } = parseBody(FleetPolicySchema, body);
    const command: RolloutCommand = { type: 'SetFleetPolicy', data: { policy }, metadata: this.metadata(actor, commandId) };
    return this.execute(agent, command, parseIfMatch(ifMatch), reply);
  }

  /** Eval results posted whole: one external-gate result per quality gate they cover, recorded in one append. */
  private async evalResults(agent: string, body: unknown, actor: Actor) {
    const { metrics, commandId = randomUUID() } = parseBody(EvalResultsSchema, body);
    try {
      const outcome = await this.handler.executePlan(agent, (state) => {
        if (!isInProgress(state.rollout)) throw new NoActiveRolloutError('eval-results');
        const { results, missing } = resultsFromEvalMetrics(state.rollout.gates.external, metrics);
        const commands = results.map((result): RolloutCommand => ({ type: 'RecordExternalGate', data: result, metadata: this.metadata(actor, `${commandId}:${result.name}`) }));
        return { commands, result: missing };
      });
      const verdicts = outcome.events.flatMap((e) => (e.type === 'ExternalGateRecorded' ? [e.data.verdict] : []));
      return { agent, commandId, version: outcome.version.toString(), verdicts, missing: outcome.result };
    } catch (error) {
      throw toHttpError(error);
    }
  }

  private async externalGate(agent: string, body: unknown, ifMatch: string | undefined, actor: Actor, reply: ReplyLike) {
    const { commandId, ...result } = parseBody(ExternalGateResultSchema, body);
    const command: RolloutCommand = { type: 'RecordExternalGate', data: result, metadata: this.metadata(actor, commandId) };
    return this.execute(agent, command, parseIfMatch(ifMatch), reply);
  }

  private metadata(actor: Actor, commandId: string | undefined) {
    return { commandId: commandId ?? randomUUID(), actor: actor.name, at: new Date().toISOString() };
  }

  private async execute(agent: string, command: RolloutCommand, expectedVersion: bigint | undefined, reply: ReplyLike) {
    const result = await this.handler.execute(agent, command, { expectedVersion }).catch((error: unknown) => {
      throw toHttpError(error);
    });
    reply.header('ETag', `"${result.version}"`);
    return {
      agent,
      commandId: command.metadata.commandId,
      version: result.version.toString(),
      applied: result.events.length > 0,
      events: result.events.map((e) => ({ type: e.type, data: e.data })),
      rollout: result.state.rollout === null ? null : { rolloutId: result.state.rollout.rolloutId, status: result.state.rollout.status, stageIndex: result.state.rollout.stageIndex, stage: result.state.rollout.stages[result.state.rollout.stageIndex]?.name },
      routingRevision: result.state.routing.revision,
    };
  }
}
