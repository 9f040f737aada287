import { RegistryError, type RegistrationInput } from '../registration';

/** Media types accepted as a YAML config file. */
export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** What the POST body is, from its Content-Type: JSON (default) or a YAML file; anything else is 415. */
export function registrationInput(contentType: string | undefined, body: unknown, codeRef: string | undefined): RegistrationInput {
  const mediaType = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (YAML_MEDIA_TYPES.includes(mediaType)) {
    return { format: 'yaml', text: typeof body === 'string' ? body : '', ...(codeRef !== undefined && { codeRef }) };
  }
  if (mediaType === 'application/json') return { format: 'json', body };
  throw new RegistryError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${mediaType} is not supported: send application/json or application/yaml`);
}
