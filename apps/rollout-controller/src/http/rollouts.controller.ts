import { randomUUID } from 'node:crypto';
import { BadRequestException, Body, Controller, Get, Headers, HttpCode, Inject, NotFoundException, Param, Post, Put, Res, UnprocessableEntityException } from '@nestjs/common';
import { Actor, CurrentActor, RequireRole } from '@iris/auth';
import type { IrisConfig } from '@iris/config';
import { IRIS_CONFIG } from '@iris/runtime';
import type { z } from 'zod';
import { externalGatesFromQualityGates, isInProgress, NoActiveRolloutError, resultsFromEvalMetrics, type RolloutCommand } from '../domain';
import { parseYaml, YamlSyntaxError } from '@iris/contracts';
import { PromotionRequiredError, UnregisteredVersionError } from '../errors';
import type { PromotionLedger } from '../promotion-ledger';
import { RolloutCommandHandler } from '../rollout-command-handler';
import { publishedTable } from '../rollout-log';
import { VersionCatalog } from '../version-catalog';
import { CONTROLLER_SETTINGS, PROMOTION_LEDGER } from '../tokens';
import type { ControllerSettings } from '../controller-settings';
import { parseBody, parseIfMatch, toHttpError } from './http-errors';
import {
  EvalResultsSchema,
  ExternalGateResultSchema,
  FleetPolicySchema,
  ReasonOptionalSchema,
  ReasonRequiredSchema,
  StartRolloutSchema,
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
    @Inject(CONTROLLER_SETTINGS) private readonly settings: ControllerSettings,
    @Inject(PROMOTION_LEDGER) private readonly promotions: PromotionLedger | null,
  ) {}

  @Get('rollout')
  async state(@Param('agent') agent: string, @Res({ passthrough: true }) reply: ReplyLike) {
    const { state, version } = await this.handler.load(agent);
    reply.header('ETag', `"${version}"`);
    return {
      agent,
      environment: this.config.environment,
      version: version.toString(),
      rollout: state.rollout,
      fleet: state.fleet.map((v) => ({ ...v, label: this.catalog.get(agent, v.versionId)?.label })),
      targeting: state.targeting,
      fleetPolicy: state.fleetPolicy,
      routingRevision: state.routing.revision,
    };
  }

  @Get('rollout/history')
  async history(@Param('agent') agent: string) {
    return { agent, environment: this.config.environment, events: await this.handler.history(agent) };
  }

  @Get('routing')
  async routing(@Param('agent') agent: string) {
    const { state } = await this.handler.load(agent);
    const table = state.routing.table;
    return { agent, environment: this.config.environment, revision: state.routing.revision, table: table && publishedTable(table, agent, this.catalog) };
  }

  @Post('rollouts')
  @RequireRole('operator')
  async start(
    @Param('agent') agent: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: ReplyLike,
  ) {
    const input = parseBody(StartRolloutSchema, body);
    const qualityGateExternal = input.qualityGates === undefined ? [] : qualityGateSpecs(input.qualityGates);
    const expectedVersion = parseIfMatch(ifMatch);
    if (this.settings.requireRegisteredVersions) {
      if (!this.catalog.has(agent, input.candidateVersionId)) throw toHttpError(new UnregisteredVersionError(agent, input.candidateVersionId, 'candidateVersionId'));
      if (input.baselineVersionId && !this.catalog.has(agent, input.baselineVersionId))
        throw toHttpError(new UnregisteredVersionError(agent, input.baselineVersionId, 'baselineVersionId'));
    }
    const { commandId, qualityGates: _file, ...data } = input;
    if (qualityGateExternal.length > 0) data.gates = { ...data.gates, external: [...(data.gates?.external ?? []), ...qualityGateExternal] };
    const promotedFrom = this.promotionEvidence(agent, input.candidateVersionId);
    const command = { type: 'StartRollout', data: { ...data, ...(promotedFrom && { promotedFrom }) }, metadata: this.metadata(actor, commandId) } as RolloutCommand;
    return this.execute(agent, command, expectedVersion, reply);
  }

  @Post('rollout/:action')
  @HttpCode(200)
  @RequireRole('operator')
  async act(
    @Param('agent') agent: string,
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
      throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `unknown action ${action}`, errors: [{ field: 'action', reason: `must be one of ${[...Object.keys(ACTIONS), 'external-gates', 'eval-results'].join(', ')}` }] });
    const { commandId, reason } = parseBody(spec.schema, body);
    const command = { type: spec.type, data: reason === undefined ? {} : { reason }, metadata: this.metadata(actor, commandId) } as RolloutCommand;
    return this.execute(agent, command, parseIfMatch(ifMatch), reply);
  }

  @Put('targeting')
  @RequireRole('operator')
  async targeting(
    @Param('agent') agent: string,
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
    @Param('agent') agent: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: ReplyLike,
  ) {
    const { commandId, ...policy } = parseBody(FleetPolicySchema, body);
    const command: RolloutCommand = { type: 'SetFleetPolicy', data: { policy }, metadata: this.metadata(actor, commandId) };
    return this.execute(agent, command, parseIfMatch(ifMatch), reply);
  }

  /** Eval results posted whole: one external-gate result per quality gate they cover. */
  private async evalResults(agent: string, body: unknown, actor: Actor) {
    const { metrics, commandId = randomUUID() } = parseBody(EvalResultsSchema, body);
    const { state } = await this.handler.load(agent);
    if (!isInProgress(state.rollout)) throw toHttpError(new NoActiveRolloutError('eval-results'));
    const { results, missing } = resultsFromEvalMetrics(state.rollout.gates.external, metrics);
    const verdicts = [];
    let version = 0n;
    for (const result of results) {
      const command: RolloutCommand = { type: 'RecordExternalGate', data: result, metadata: this.metadata(actor, `${commandId}:${result.name}`) };
      try {
        const outcome = await this.handler.execute(agent, command);
        version = outcome.version;
        verdicts.push(...outcome.events.flatMap((e) => (e.type === 'ExternalGateRecorded' ? [e.data.verdict] : [])));
      } catch (error) {
        throw toHttpError(error);
      }
    }
    return { agent, commandId, version: version.toString(), verdicts, missing };
  }

  private async externalGate(agent: string, body: unknown, ifMatch: string | undefined, actor: Actor, reply: ReplyLike) {
    const { commandId, ...result } = parseBody(ExternalGateResultSchema, body);
    const command: RolloutCommand = { type: 'RecordExternalGate', data: result, metadata: this.metadata(actor, commandId) };
    return this.execute(agent, command, parseIfMatch(ifMatch), reply);
  }

  /** With a promotion rule, the completed rollout upstream that lets this version start here (else 422). */
  private promotionEvidence(agent: string, versionId: string) {
    if (!this.promotions) return undefined;
    const evidence = this.promotions.evidenceFor(agent, versionId);
    if (!evidence) throw toHttpError(new PromotionRequiredError(agent, versionId, this.promotions.fromEnvironment));
    return evidence;
  }

  private metadata(actor: Actor, commandId: string | undefined) {
    return { commandId: commandId ?? randomUUID(), actor: actor.name, at: new Date().toISOString() };
  }

  private async execute(agent: string, command: RolloutCommand, expectedVersion: bigint | undefined, reply: ReplyLike) {
    try {
      const result = await this.handler.execute(agent, command, { expectedVersion });
      reply.header('ETag', `"${result.version}"`);
      const blocked = result.events.find((e) => e.type === 'PreflightChecked' && !e.data.passed);
      if (blocked?.type === 'PreflightChecked') {
        const failed = blocked.data.items.filter((item) => !item.passed);
        throw new UnprocessableEntityException({
          statusCode: 422,
          error: 'Unprocessable Entity',
          code: 'PREFLIGHT_FAILED',
          message: `the candidate may not leave shadow yet: ${failed.map((i) => `${i.name} (${i.detail})`).join('; ')}`,
          failedChecks: failed,
          version: result.version.toString(),
        });
      }
      return {
        agent,
        commandId: command.metadata.commandId,
        version: result.version.toString(),
        applied: result.events.length > 0,
        events: result.events.map((e) => ({ type: e.type, data: e.data })),
        rollout: result.state.rollout && { rolloutId: result.state.rollout.rolloutId, status: result.state.rollout.status, stageIndex: result.state.rollout.stageIndex, stage: result.state.rollout.stages[result.state.rollout.stageIndex]?.name },
        routingRevision: result.state.routing.revision,
      };
    } catch (error) {
      if (error instanceof UnprocessableEntityException) throw error;
      throw toHttpError(error);
    }
  }
}

/** quality_gates.yaml (text or parsed) → external gate specs; 400 naming `qualityGates` when it is not one. */
function qualityGateSpecs(file: string | Record<string, unknown>) {
  const invalid = (reason: string) => new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'Invalid request body', errors: [{ field: 'qualityGates', reason }] });
  let parsed: unknown = file;
  if (typeof file === 'string') {
    try {
      parsed = parseYaml(file);
    } catch (error) {
      if (error instanceof YamlSyntaxError) throw invalid(error.message);
      throw error;
    }
  }
  try {
    return externalGatesFromQualityGates(parsed);
  } catch (error) {
    throw invalid((error as Error).message.replace(/^qualityGates:? ?/, ''));
  }
}
