import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, UseInterceptors } from '@nestjs/common';
import { Actor, CurrentActor, RequireRole } from '@iris/auth';
import { IRIS_CONFIG, SchemaParam } from '@iris/runtime';
import type { IrisConfig } from '@iris/config';
import { findKill, KillSwitchError, type CommandMetadata, type KillSetState } from '../domain';
import { ExpiryTimer } from '../expiry-timer';
import { KillCommandHandler } from '../kill-command-handler';
import { RoutingView } from '../routing-view';
import { VersionCatalog } from '../version-catalog';
import { AgentParam, KillIdParam } from './kill-switch-api';
import { KillSwitchErrorsInterceptor } from './kill-switch-errors';
import { FallbackRequestSchema, KillRequestSchema, parseBody, ReleaseRequestSchema } from './request-schemas';
import { agentKillsView, killSetView } from './views';

/**
 * Kills of this environment: engage and release (operator), list (viewer); an agent's fallback (operator) and the
 * kills in force for it (viewer), as documented in KILL_SWITCH_API. A request is parsed with the documented schemas,
 * becomes one command, and every refusal maps to one status (kill-switch-errors.ts). Each answer states the kill set now in force (for the agent the command names).
 */
@Controller('v1')
@UseInterceptors(KillSwitchErrorsInterceptor)
export class KillsController {
  constructor(
    @Inject(KillCommandHandler) private readonly handler: KillCommandHandler,
    @Inject(RoutingView) private readonly routing: RoutingView,
    @Inject(VersionCatalog) private readonly catalog: VersionCatalog,
    @Inject(IRIS_CONFIG) private readonly config: IrisConfig,
    @Inject(ExpiryTimer) private readonly expiry: ExpiryTimer,
  ) {}

  @Post('kills')
  @RequireRole('operator')
  async kill(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const request = parseBody(KillRequestSchema, body);
    const { commandId, ...data } = request;
    const killId = data.killId ?? `kill-${randomUUID()}`;
    const { state, events } = await this.handler.execute({ type: 'EngageKill', data: { ...data, killId }, metadata: this.metadata(actor, commandId) });
    const kill = findKill(state, killId);
    if (kill?.expiresAt) this.expiry.nudge(state);
    return { applied: events.length > 0, kill: kill ?? null, ...this.inForce(state, request.scope.agent) };
  }

  @Delete('kills/:killId')
  @RequireRole('operator')
  @HttpCode(200)
  release(@Param('killId', new SchemaParam('killId', KillIdParam)) killId: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.releaseKill(killId, body, actor);
  }

  @Post('kills/:killId/release')
  @RequireRole('operator')
  @HttpCode(200)
  releaseByPost(@Param('killId', new SchemaParam('killId', KillIdParam)) killId: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.releaseKill(killId, body, actor);
  }

  @Get('kills')
  async list() {
    const { state } = await this.handler.load();
    return killSetView(state, this.config.environment);
  }

  @Get('kills/:killId')
  async show(@Param('killId', new SchemaParam('killId', KillIdParam)) killId: string) {
    const { state } = await this.handler.load();
    const kill = findKill(state, killId);
    if (!kill) throw new KillSwitchError('KILL_NOT_FOUND', `no kill ${killId} is in force (released, expired or never engaged)`);
    return { kill, ...this.inForce(state, kill.scope.agent) };
  }

  @Put('agents/:agent/fallback')
  @RequireRole('operator')
  async setFallback(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const { versionId, commandId } = parseBody(FallbackRequestSchema, body);
    const { state, events } = await this.handler.execute({ type: 'SetFallback', data: { agent, versionId }, metadata: this.metadata(actor, commandId) });
    return { applied: events.length > 0, ...this.inForce(state, agent) };
  }

  @Get('agents/:agent/kills')
  async agentKills(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string) {
    const { state } = await this.handler.load();
    if (!this.known(agent, state)) throw new KillSwitchError('UNKNOWN_AGENT', `no versions of agent ${agent} are registered`);
    return agentKillsView(state, this.config.environment, agent, this.routing.routingOf(agent), Date.now());
  }

  private async releaseKill(killId: string, body: unknown, actor: Actor) {
    const { reason, commandId } = parseBody(ReleaseRequestSchema, body);
    const before = findKill((await this.handler.load()).state, killId);
    const { state, events } = await this.handler.execute({ type: 'ReleaseKill', data: { killId, ...(reason !== undefined && { reason }) }, metadata: this.metadata(actor, commandId) });
    return { applied: events.length > 0, released: killId, ...this.inForce(state, before?.scope.agent) };
  }

  /** The environment's kill set, and the agent's view when the command names one. */
  private inForce(state: KillSetState, agent: string | undefined) {
    const killSet = killSetView(state, this.config.environment);
    if (agent === undefined) return { killSet };
    return { killSet, agent: agentKillsView(state, this.config.environment, agent, this.routing.routingOf(agent), Date.now()) };
  }

  private known(agent: string, state: KillSetState): boolean {
    return this.catalog.hasAgent(agent) || this.routing.routingOf(agent) !== undefined || state.fallbacks[agent] !== undefined || state.kills.some((k) => k.scope.agent === agent);
  }

  /** Time enters the rules here, once per command. */
  private metadata(actor: Actor, commandId: string | undefined): CommandMetadata {
    return { commandId: commandId ?? randomUUID(), actor: actor.name, at: new Date().toISOString() };
  }
}
