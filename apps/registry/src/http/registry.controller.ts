import { Body, Controller, Get, Headers, Inject, Param, Post, Query, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';
import { Actor, CurrentActor, RequireRole } from '@iris/auth';
import { SchemaParam } from '@iris/runtime';
import { diffVersions, requiredBump } from '../domain';
import { RegistryReadModel } from '../read-model';
import { parseRegistration, RegistryError, renderVersionYaml, type RegisteredVersion } from '../registration';
import { VersionRegistrar } from '../version-registrar';
import { RegistryErrorFilter } from './registry-error.filter';
import { AgentParam, RefParam } from './registry-api';
import { registrationInput } from './request-body';
import { registrationView, versionDetail, versionSummary } from './views';

/** Agent versions: register (operator), list, show, diff and render as YAML (viewer). */
@Controller('v1/agents')
@UseFilters(RegistryErrorFilter)
export class RegistryController {
  constructor(
    @Inject(VersionRegistrar) private readonly registrar: VersionRegistrar,
    @Inject(RegistryReadModel) private readonly readModel: RegistryReadModel,
  ) {}

  @Get()
  listAgents() {
    const agents = this.readModel.agentNames().map((name) => {
      const state = this.readModel.agent(name)!;
      const latest = state.latest!;
      return { agent: name, versions: state.versions.length, latest: { versionId: latest.versionId, label: latest.label, registeredAt: latest.registeredAt } };
    });
    return { agents };
  }

  /** JSON tuple (+ notes, labels) or a YAML config file (Content-Type: application/yaml; `?codeRef=` when the file has no code.ref). */
  @Post(':agent/versions')
  @RequireRole('operator')
  async register(
    @Param('agent') agent: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Query('codeRef') codeRef: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) response: Response,
  ) {
    const command = parseRegistration(agent, registrationInput(contentType, body, codeRef), actor.name);
    const result = await this.registrar.register(command);
    response.status(result.created ? 201 : 200);
    return registrationView(result);
  }

  @Get(':agent/versions')
  listVersions(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string) {
    const state = this.readModel.agent(agent);
    if (!state) throw new RegistryError('AGENT_NOT_FOUND', `no versions of agent ${agent} are registered`);
    return { agent, versions: state.versions.map((v) => versionSummary(v, this.readModel.statusOf(agent, v.versionId))) };
  }

  /** `ref`: version id, label or `latest`. */
  @Get(':agent/versions/:ref')
  getVersion(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string, @Param('ref', new SchemaParam('ref', RefParam)) ref: string) {
    const version = this.find(agent, ref);
    return versionDetail(version, this.readModel.statusOf(agent, version.versionId));
  }

  @Get(':agent/versions/:ref/yaml')
  yaml(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string, @Param('ref', new SchemaParam('ref', RefParam)) ref: string, @Res({ passthrough: true }) response: Response): string {
    const version = this.find(agent, ref);
    response.type('application/yaml; charset=utf-8');
    return renderVersionYaml(version);
  }

  /** Layer-by-layer diff from `a` to `b`, with the bump it would require. */
  @Get(':agent/versions/:a/diff/:b')
  diff(@Param('agent', new SchemaParam('agent', AgentParam)) agent: string, @Param('a', new SchemaParam('a', RefParam)) a: string, @Param('b', new SchemaParam('b', RefParam)) b: string) {
    const [from, to] = [this.find(agent, a), this.find(agent, b)];
    const diff = diffVersions(from.spec, to.spec);
    return {
      agent,
      from: { versionId: from.versionId, label: from.label },
      to: { versionId: to.versionId, label: to.label },
      requiredBump: requiredBump(diff),
      diff,
    };
  }

  private find(agent: string, ref: string): RegisteredVersion {
    if (!this.readModel.agent(agent)) throw new RegistryError('AGENT_NOT_FOUND', `no versions of agent ${agent} are registered`);
    const version = this.readModel.resolve(agent, ref);
    if (!version) throw new RegistryError('VERSION_NOT_FOUND', `agent ${agent} has no version ${ref} (use a version id, a label or "latest")`);
    return version;
  }
}
