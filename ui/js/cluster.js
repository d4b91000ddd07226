// The cluster page (#/cluster): its nodes (address, function subnet, lease
// left, leader, ready replicas, free memory) and where each function's
// replicas are placed, from /system/cluster every 2 s. The "Cluster" link
// shows only when the gateway is part of a cluster (one VM answers 404).

import {clusterApi} from './api.js';
import {cell, clear, h, poll} from './dom.js';

function mebibytes(bytes) {
  return `${Math.round(bytes / 1048576).toLocaleString()} MiB`;
}

function nodesTable(status) {
  return h('table', {class: 'cards', id: 'cluster-nodes'},
    h('thead', {}, h('tr', {}, ['Node', 'Address', 'Subnet', 'Lease', 'Leader', 'Ready replicas',
      'Free memory'].map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, status.nodes.map((n) => h('tr', {'data-node': n.name},
      cell('Node', {class: 'mono'}, n.name, n.name === status.node ? h('span', {class: 'muted'}, ' (this one)') : ''),
      cell('Address', {class: 'mono'}, `${n.address}:${n.gatewayPort}`),
      cell('Subnet', {class: 'mono'}, n.subnet),
      cell('Lease', {class: 'mono'}, n.leaseTtlSeconds === undefined ? n.lease
        : `${n.lease} (${n.leaseTtlSeconds} s left)`),
      cell('Leader', {}, n.leader ? h('span', {class: 'pill ready'}, 'scheduler') : ''),
      cell('Ready replicas', {}, String(n.readyReplicas)),
      cell('Free memory', {}, `${mebibytes(n.freeMemoryBytes)} of ${mebibytes(n.memoryBytes)}`)))));
}

function functionsTable(status) {
  if (!status.functions.length) return h('div', {class: 'empty'}, 'No functions.');
  return h('table', {class: 'cards', id: 'cluster-functions'},
    h('thead', {}, h('tr', {}, ['Function', 'Replicas', 'Ready', 'Placement']
      .map((c) => h('th', {scope: 'col'}, c)))),
    h('tbody', {}, status.functions.map((f) => h('tr', {'data-function': `${f.name}.${f.namespace}`},
      cell('Function', {class: 'mono'}, `${f.name}.${f.namespace}`),
      cell('Replicas', {}, String(f.replicas)),
      cell('Ready', {}, String(f.readyReplicas)),
      cell('Placement', {class: 'mono wrap'}, Object.entries(f.placement)
        .map(([node, n]) => `${node}: ${n}`).join(', ') || '–')))));
}

export function render(main, ctx) {
  const nodes = h('div', {'aria-live': 'polite'}, h('p', {class: 'muted'}, 'Loading the cluster…'));
  const functions = h('div', {});
  main.append(h('h1', {}, 'Cluster'),
    h('section', {class: 'panel'}, h('h2', {}, 'Nodes'), nodes),
    h('section', {class: 'panel'}, h('h2', {}, 'Placement'), functions));
  const controller = new AbortController();
  const stop = poll(async () => {
    try {
      const status = await clusterApi.status(controller.signal);
      ctx.setConn(true);
      clear(nodes).append(nodesTable(status));
      clear(functions).append(functionsTable(status));
    } catch (e) {
      if (e.name === 'AbortError') return;
      ctx.setConn(false, e.message);
      clear(nodes).append(h('p', {class: e.status === 404 ? 'muted' : 'error'},
        e.status === 404 ? 'This faasd is one VM, not part of a cluster.'
          : `The cluster's status could not be read: ${e.message}`));
      clear(functions);
    }
  }, 2000);
  return () => {
    stop();
    controller.abort();
  };
}

// Shows the nav link when the gateway answers /system/cluster.
export async function showLinkIfCluster(link) {
  try {
    await clusterApi.status();
    link.hidden = false;
  } catch {
    link.hidden = true;
  }
}
