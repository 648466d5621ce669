import { badRequest } from '../../errors.js';
import { taskDocument } from './documents.js';
import type { SandboxTask } from './model.js';

/**
 * `GET task_list`: filter clauses joined by `/`, each `field:value[,value...]`
 * (`status:ACTIVE,INACTIVE/type:TRANSFER`); `request_time` and `completion_time` take
 * `start,end` (either may be empty); `label:~text` matches a substring. orderby is
 * `field [ASC|DESC]`, comma separated; newest request first by default.
 */

type Filter = (task: SandboxTask) => boolean;

const FIELDS: Record<string, (task: SandboxTask) => string | number | null> = {
  task_id: (t) => t.id,
  status: (t) => t.status,
  type: (t) => t.type,
  label: (t) => t.options.label,
  request_time: (t) => t.requestTime.getTime(),
  completion_time: (t) => t.completionTime?.getTime() ?? null,
  deadline: (t) => t.options.deadline.getTime(),
};

export function listTasks(
  tasks: SandboxTask[],
  filter: string | null,
  orderby: string | null,
  limit: number,
  offset: number,
): Record<string, unknown> {
  const filters = parseFilter(filter);
  const matching = tasks.filter((t) => filters.every((f) => f(t)));
  matching.sort(comparator(orderby));
  const page = matching.slice(offset, offset + limit);
  return {
    DATA_TYPE: 'task_list',
    length: page.length,
    limit,
    offset,
    total: matching.length,
    DATA: page.map(taskDocument),
  };
}

function parseFilter(filter: string | null): Filter[] {
  if (!filter) return [];
  return filter
    .split('/')
    .filter(Boolean)
    .map((clause) => {
      const colon = clause.indexOf(':');
      if (colon < 1) throw badRequest(`Bad filter clause "${clause}"; use field:value`);
      const field = clause.slice(0, colon);
      const value = clause.slice(colon + 1);
      switch (field) {
        case 'task_id':
        case 'status':
        case 'type': {
          const wanted = new Set(value.split(',').map((v) => (field === 'task_id' ? v : v.toUpperCase())));
          return (t: SandboxTask) => wanted.has(String(FIELDS[field]!(t)));
        }
        case 'label':
          return value.startsWith('~')
            ? (t: SandboxTask) => (t.options.label ?? '').toLowerCase().includes(value.slice(1).toLowerCase())
            : (t: SandboxTask) => t.options.label === value;
        case 'request_time':
        case 'completion_time': {
          const [from, to] = value.split(',').map((v) => (v ? time(v, field) : undefined));
          return (t: SandboxTask) => {
            const at = FIELDS[field]!(t) as number | null;
            if (at === null) return false;
            return (from === undefined || at >= from) && (to === undefined || at <= to);
          };
        }
        default:
          throw badRequest(
            `Unknown filter field "${field}" (known: task_id, status, type, label, request_time, completion_time)`,
          );
      }
    });
}

function time(value: string, field: string): number {
  const at = new Date(value.replace(' ', 'T')).getTime();
  if (Number.isNaN(at)) throw badRequest(`${field} filter needs ISO 8601 times`);
  return at;
}

function comparator(orderby: string | null): (a: SandboxTask, b: SandboxTask) => number {
  const keys = (orderby ?? 'request_time DESC').split(',').map((part) => {
    const [field = '', direction = 'ASC'] = part.trim().split(/\s+/);
    const get = FIELDS[field];
    if (!get) throw badRequest(`Cannot order by "${field}"`);
    const dir = direction.toUpperCase();
    if (dir !== 'ASC' && dir !== 'DESC') throw badRequest(`Order must be ASC or DESC, not "${direction}"`);
    return { get, sign: dir === 'ASC' ? 1 : -1 };
  });
  return (a, b) => {
    for (const { get, sign } of keys) {
      const x = get(a);
      const y = get(b);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sign;
    }
    return 0;
  };
}
