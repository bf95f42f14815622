/**
 * What the HTTP API asks of a proxy server: one method per route. It lives apart from both so the API depends
 * on this contract, not on the server class, and the server (which mounts the API) imports the API without the
 * two modules importing each other.
 */
import type { ProxyJSON, ToxicJSON } from './proxy.js';

/** The operations behind the Toxiproxy API's routes; bodies are the parsed JSON the client sent. */
export interface ProxyOperations {
  /** `GET /proxies`: every proxy with its toxics, by name. */
  listProxies(): Record<string, ProxyJSON>;
  getProxy(name: string): ProxyJSON;
  createProxy(body: unknown): Promise<ProxyJSON>;
  populate(body: unknown): Promise<ProxyJSON[]>;
  updateProxy(name: string, body: unknown): Promise<ProxyJSON>;
  deleteProxy(name: string): Promise<void>;
  listToxics(proxyName: string): ToxicJSON[];
  getToxic(proxyName: string, toxicName: string): ToxicJSON;
  addToxic(proxyName: string, body: unknown): Promise<ToxicJSON>;
  updateToxic(proxyName: string, toxicName: string, body: unknown): Promise<ToxicJSON>;
  removeToxic(proxyName: string, toxicName: string): Promise<void>;
  reset(): Promise<void>;
  /** `GET /metrics`: Prometheus text. */
  metrics(): string;
}
