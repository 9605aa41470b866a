import { bytesCodec, type Codec } from './codec.js';

/** A map's name and how its keys and values are encoded. */
export interface MapDef<K, V> {
  readonly name: string;
  readonly key: Codec<K>;
  readonly value: Codec<V>;
}

export function defineMap<K, V>(name: string, key: Codec<K>, value: Codec<V>): MapDef<K, V> {
  if (name.length === 0) throw new TypeError('map name must not be empty');
  return { name, key, value };
}

export function rawMap(name: string): MapDef<Uint8Array, Uint8Array> {
  return defineMap(name, bytesCodec, bytesCodec);
}
