/**
 * The state of the IPIv PID-table world (kvm-model.md §1 "IPI virtualization", §2 "IPIv
 * set-up"): kvm->lock, the vCPU counters, max_vcpu_ids, the PID-pointer table(s) KVM allocates,
 * each creating thread's vCPU and VMCS fields, and ghosts for what the property judges.
 *
 * Sizes are symbolic: the model's KVM_MAX_VCPU_IDS is `ids` (3, so ids 0..2), and a table has as
 * many entries as max_vcpu_ids said when it was allocated. The kernel rounds the allocation up to
 * whole pages (512 entries a page), so a real overflow needs ids beyond that rounding; the model's
 * small numbers stand for "an id at or above the size the table was allocated for".
 */
import { ModelBuilder } from '../builder';
import { Expr, add, and, eq, ite, le, ne, or, ref, sub } from '../ir';

/** Creating threads: at most two, named A and B in traces. */
export const THREADS = ['A', 'B'] as const;

/** `kvm->lock` owner: a creating thread, or the KVM_ENABLE_CAP caller. */
export const LOCK_OWNERS = ['free', 'A', 'B', 'cap'] as const;
export const LOCK_FREE = 0;
export const LOCK_CAP = 3;

/** A creating thread's vCPU structure (`struct vcpu_vmx`, which holds its posted-interrupt descriptor). */
export const VCPU_STATES = ['none', 'allocated', 'online', 'freed'] as const;
export const VCPU_NONE = 0;
export const VCPU_ALLOCATED = 1;
export const VCPU_ONLINE = 2;
export const VCPU_FREED = 3;

/** `kvm_vmx->pid_table`: NULL or one of at most two allocations. */
export const TABLE_POINTERS = ['NULL', 'table1', 'table2'] as const;
/** A VMCS's PID_POINTER_TABLE: never written (no IPIv), or a copy of `kvm_vmx->pid_table`. */
export const VMCS_TABLES = ['unset', 'NULL', 'table1', 'table2'] as const;
export const VMCS_UNSET = 0;
export const VMCS_NULL = 1;

export const OOB_KINDS = ['none', 'entry write beyond the table', 'entry write through a NULL table', 'CPU read beyond the table'] as const;
export const OOB_NONE = 0;
export const OOB_WRITE = 1;
export const OOB_NULL_WRITE = 2;
export const OOB_READ = 3;

export const ICR_OUTCOMES = [
  'none',
  'VM-exit: IPIv not set up',
  'APIC-write VM-exit: id beyond LAST_PID_POINTER_INDEX',
  'APIC-write VM-exit: entry not valid',
  'posted through the table',
  'posted into a freed descriptor',
  'CPU read beyond the table',
] as const;
export const ICR_NONE = 0;
export const ICR_EXIT_NO_IPIV = 1;
export const ICR_EXIT_BEYOND_LAST = 2;
export const ICR_EXIT_INVALID = 3;
export const ICR_POSTED = 4;
export const ICR_POSTED_FREED = 5;
export const ICR_OOB = 6;

export interface TableVars {
  /** 1 or 2: the value `kvm_vmx->pid_table` holds when it points here. */
  readonly index: number;
  /** Entries allocated (max_vcpu_ids when alloc_pages ran). */
  readonly size: number;
  /** entries[i]: 0 invalid, k+1 the descriptor of thread k's vCPU (valid bit set). */
  readonly entries: readonly number[];
}

export interface ThreadVars {
  readonly index: number;
  readonly name: (typeof THREADS)[number];
  /** The vcpu_id this thread creates. */
  readonly id: number;
  readonly vcpu: number;
  readonly vmcsTable: number;
  readonly vmcsLast: number;
  /** Locals: the result `r`, a failed vCPU allocation, the table this thread allocated. */
  readonly r: number;
  readonly nomem: number;
  readonly newTable: number;
}

export interface WorldShape {
  /** The model's KVM_MAX_VCPU_IDS (ids are 0..ids-1). */
  readonly ids: number;
  /** The vcpu_id of each creating thread. */
  readonly threadIds: readonly number[];
}

export class IpivWorld {
  readonly lock: number;
  readonly created: number;
  readonly maxIds: number;
  readonly pidTable: number;
  /** v7's cached `kvm_vmx->pid_last_index` (u16: `max_vcpu_id - 1` wraps to 65535 at 0). */
  readonly lastIndexCache: number;
  readonly tables: readonly TableVars[];
  readonly allocations: number;
  readonly oob: number;
  readonly icr: number;
  readonly threads: readonly ThreadVars[];
  /** The result locals of the KVM_ENABLE_CAP caller and of KVM_CREATE_VM. */
  readonly capR: number;
  readonly vmR: number;

  constructor(
    readonly b: ModelBuilder,
    readonly shape: WorldShape,
  ) {
    const n = shape.ids;
    // LAST_PID_POINTER_INDEX values: 0..n-1, and n standing for 65535 (0 - 1 in a u16).
    const lastValues = [...Array.from({ length: n }, (_, i) => String(i)), '65535'];
    this.lock = b.declare('kvm.lock', LOCK_OWNERS.length - 1, LOCK_FREE, 'state', LOCK_OWNERS);
    this.created = b.declare('kvm.created_vcpus', Math.max(1, shape.threadIds.length));
    this.maxIds = b.declare('kvm.arch.max_vcpu_ids', n);
    this.pidTable = b.declare('kvm_vmx.pid_table', TABLE_POINTERS.length - 1, 0, 'state', TABLE_POINTERS);
    this.lastIndexCache = b.declare('kvm_vmx.pid_last_index', n, 0, 'state', lastValues);
    const entryValues = ['invalid', ...THREADS.map((t) => `&${t}.pi_desc|VALID`)];
    this.tables = [1, 2].map((index) => ({
      index,
      size: b.declare(`table${index}.entries`, n),
      entries: Array.from({ length: n }, (_, i) => b.declare(`table${index}[${i}]`, THREADS.length, 0, 'state', entryValues)),
    }));
    this.allocations = b.declare('pid_table.allocations', 2, 0, 'ghost');
    this.oob = b.declare('pid_table.out_of_bounds', OOB_KINDS.length - 1, OOB_NONE, 'ghost', OOB_KINDS);
    this.icr = b.declare('guest.icr_write', ICR_OUTCOMES.length - 1, ICR_NONE, 'ghost', ICR_OUTCOMES);
    this.threads = shape.threadIds.map((id, index) => {
      const name = THREADS[index]!;
      return {
        index,
        name,
        id,
        vcpu: b.declare(`${name}.vcpu`, VCPU_STATES.length - 1, VCPU_NONE, 'state', VCPU_STATES),
        vmcsTable: b.declare(`${name}.vmcs.PID_POINTER_TABLE`, VMCS_TABLES.length - 1, VMCS_UNSET, 'state', VMCS_TABLES),
        vmcsLast: b.declare(`${name}.vmcs.LAST_PID_POINTER_INDEX`, n, 0, 'state', lastValues),
        r: b.declare(`${name}.r`, 1, 0, 'local'),
        nomem: b.declare(`${name}.vcpu_alloc_failed`, 1, 0, 'local'),
        newTable: b.declare(`${name}.pages`, 2, 0, 'local', TABLE_POINTERS),
      };
    });
    this.capR = b.declare('cap.r', 1, 0, 'local');
    this.vmR = b.declare('vm.r', 1, 0, 'local');
  }

  /** `max - 1` as a u16 LAST_PID_POINTER_INDEX: 0 - 1 wraps to 65535 (the value `ids` here). */
  lastIndexOf(max: Expr): Expr {
    return ite(eq(max, 0), this.shape.ids, sub(max, 1));
  }

  /** Entry `id` of the table `pointer` names (a `kvm_vmx->pid_table` value); 0 for NULL. */
  entryOf(pointer: Expr, id: number): Expr {
    return ite(eq(pointer, 1), ref(this.tables[0]!.entries[id]!), ite(eq(pointer, 2), ref(this.tables[1]!.entries[id]!), 0));
  }

  /** The size of the table `pointer` names; 0 for NULL. */
  sizeOf(pointer: Expr): Expr {
    return ite(eq(pointer, 1), ref(this.tables[0]!.size), ite(eq(pointer, 2), ref(this.tables[1]!.size), 0));
  }

  /** Some valid entry, in either table, points at the descriptor of a vCPU that was freed. */
  staleEntry(): Expr {
    const stale: Expr[] = [];
    for (const t of this.tables) {
      t.entries.forEach((id) => {
        for (const th of this.threads) stale.push(and(eq(ref(id), th.index + 1), eq(ref(th.vcpu), VCPU_FREED)));
      });
    }
    return or(...stale);
  }

  /** The online vCPU's VMCS lets the CPU index beyond the table it points at (or through NULL). */
  latentOutOfBounds(th: ThreadVars): Expr {
    const vmcsPointer = sub(ref(th.vmcsTable), 1);
    return and(
      eq(ref(th.vcpu), VCPU_ONLINE),
      ne(ref(th.vmcsTable), VMCS_UNSET),
      or(eq(ref(th.vmcsTable), VMCS_NULL), le(this.sizeOf(vmcsPointer), ref(th.vmcsLast))),
    );
  }

  /** An online vCPU whose entry is not its own in the current table, or whose VMCS points at another table. */
  notInTheTable(th: ThreadVars): Expr {
    return and(
      eq(ref(th.vcpu), VCPU_ONLINE),
      ne(ref(th.vmcsTable), VMCS_UNSET),
      or(ne(ref(th.vmcsTable), add(ref(this.pidTable), 1)), ne(this.entryOf(ref(this.pidTable), th.id), th.index + 1)),
    );
  }
}
