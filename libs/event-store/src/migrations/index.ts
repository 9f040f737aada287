import { CreateEventStore1767225600000 } from './1767225600000-create-event-store';

/** In order; an app with its own DataSource can include these in its `migrations`. */
export const eventStoreMigrations = [CreateEventStore1767225600000];
