import type { DataSource, EntityMetadata, Repository } from 'typeorm';
import { InvalidOptionError } from '../errors/index.js';
import { schemaOf, unqualified } from './table-names.js';

/** The table each entity's metadata was mapped to, per DataSource (metadata is per DataSource). */
const mapped = new WeakMap<EntityMetadata, string>();
/** Mappings waiting for a DataSource that is initialized later (`manualInitialization`). */
const pending = new WeakMap<DataSource, (() => void)[]>();

/**
 * Points a library entity, on the host's DataSource, at its configured table. The decorators
 * name the default tables; a host that chose other names gets them here, before any query:
 * now if the DataSource is initialized, otherwise as soon as it is. One DataSource maps the
 * library's entities to one set of names: another module with other names on it is refused.
 */
export const mapEntityTable = <T extends object>(
  repository: Repository<T>,
  name: string,
  defaultName: string,
): Repository<T> => {
  const dataSource = repository.manager.connection;
  const apply = () => pointAt(dataSource.getMetadata(repository.target), name);
  if (dataSource.isInitialized) apply();
  else if (name !== defaultName) afterInitialize(dataSource, apply);
  return repository;
};

const pointAt = (metadata: EntityMetadata, name: string): void => {
  const earlier = mapped.get(metadata);
  if (earlier !== undefined && earlier !== name) {
    throw new InvalidOptionError(
      `entity ${metadata.name} is already mapped to table ${earlier} on this DataSource; one DataSource holds one set of tenant-migration tables`,
      { option: 'tables' },
    );
  }
  mapped.set(metadata, name);
  if (metadata.tablePath === name) return;
  const table = unqualified(name);
  const schema = schemaOf(name).slice(0, -1);
  metadata.schema = schema === '' ? undefined : schema;
  metadata.givenTableName = table;
  metadata.tableName = table;
  metadata.tableNameWithoutPrefix = table;
  metadata.tablePath = name;
};

/** Runs `apply` right after the DataSource builds its metadata (its `initialize`), before any query of ours. */
const afterInitialize = (dataSource: DataSource, apply: () => void): void => {
  const waiting = pending.get(dataSource);
  if (waiting) return void waiting.push(apply);
  const queue = [apply];
  pending.set(dataSource, queue);
  const initialize = dataSource.initialize.bind(dataSource);
  dataSource.initialize = async () => {
    const initialized = await initialize();
    for (const map of queue.splice(0)) map();
    return initialized;
  };
};
