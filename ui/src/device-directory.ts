import { useLayoutEffect, useState } from 'preact/hooks';
import type { Api, Device } from './api.ts';
import { shortId } from './format.ts';

/**
 * Device ids are hashes; people know hosts. The console loads the device list once (per API
 * client) and every view labels devices from it; `refreshDevices()` after a change.
 */
const cache = new WeakMap<Api, Promise<Map<string, Device>>>();

async function loadAll(api: Api): Promise<Map<string, Device>> {
  const out = new Map<string, Device>();
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const result = await api.devices({ limit: 500, cursor });
    for (const device of result.items) out.set(device.id, device);
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  return out;
}

export function refreshDevices(api: Api): void {
  cache.delete(api);
}

export function useDeviceDirectory(api: Api): Map<string, Device> {
  const [devices, setDevices] = useState<Map<string, Device>>(new Map());
  // A layout effect starts the request right after the render instead of after the next frame.
  useLayoutEffect(() => {
    let promise = cache.get(api);
    if (!promise) {
      promise = loadAll(api);
      promise.catch(() => cache.delete(api));
      cache.set(api, promise);
    }
    let live = true;
    promise.then(
      (map) => live && setDevices(map),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [api]);
  return devices;
}

/**
 * How people tell devices apart: the host name and whose device it is. Host names repeat across a
 * fleet (every VM of an image is "vm"), so the host alone names none of them.
 */
export function deviceName(device: Pick<Device, 'id' | 'hostname' | 'user'>): string {
  return `${device.hostname ?? shortId(device.id)} · ${device.user}`;
}

export function deviceLabel(devices: Map<string, Device>, id: string): string {
  const device = devices.get(id);
  return device ? deviceName(device) : shortId(id);
}
