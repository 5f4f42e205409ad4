/**
 * A Python pickle *scanner*: it walks the opcodes and simulates the stack with plain data (numbers, strings,
 * lists, dicts, and inert records for globals, calls and objects). Nothing is ever imported, called or
 * executed: a GLOBAL is only a name, a REDUCE only records "this name was applied to these arguments".
 * The few calls PyTorch uses to rebuild tensors are interpreted as data (storage, offset, size, stride).
 * Every global the pickle names is reported; names of system functions (os.system, builtins.eval,
 * subprocess ...) are flagged as dangerous.
 */

export class PGlobal {
  readonly kind = 'global';
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A persistent storage reference: ('storage', storage_type, key, location, numel). */
export class PStorage {
  readonly kind = 'storage';
  constructor(
    readonly storageType: string,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}

export class PTensor {
  readonly kind = 'tensor';
  isParameter = false;
  quant?: { scheme: string; scale?: number[]; zeroPoint?: number[]; axis?: number };
  constructor(
    readonly storage: PStorage,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

export class PList {
  readonly kind = 'list';
  constructor(readonly items: PValue[] = []) {}
}
export class PTuple {
  readonly kind = 'tuple';
  constructor(readonly items: PValue[]) {}
}
export class PDict {
  readonly kind = 'dict';
  readonly entries: [PValue, PValue][] = [];
  private readonly index = new Map<string | number, number>();
  set(k: PValue, v: PValue): void {
    // Keys longer than a name may be are not indexed (kept as separate entries): V8 hashes strings of more than
    // 16,383 characters by length alone, so thousands of long keys would make each insert compare them all.
    if (typeof k === 'number' || (typeof k === 'string' && k.length <= MAX_INDEXED_KEY)) {
      const i = this.index.get(k);
      if (i !== undefined) {
        this.entries[i][1] = v;
        return;
      }
      this.index.set(k, this.entries.length);
    }
    this.entries.push([k, v]);
  }
  get(k: string): PValue | undefined {
    const i = this.index.get(k);
    return i === undefined ? undefined : this.entries[i][1];
  }
}
/** An object built by NEWOBJ / REDUCE / INST / OBJ of a class or function that is not interpreted. */
export class PObject {
  readonly kind = 'object';
  state: PValue = null;
  constructor(
    readonly cls: PValue,
    readonly args: PValue[],
  ) {}
}
export class PBytes {
  readonly kind = 'bytes';
  constructor(readonly length: number) {}
}

export type PValue = null | boolean | number | bigint | string | PGlobal | PStorage | PTensor | PList | PTuple | PDict | PObject | PBytes;

/** Longest dict key that is indexed (see PDict.set). */
const MAX_INDEXED_KEY = 4096;

class Mark {}
const MARK = new Mark();
type StackItem = PValue | Mark;

export class PickleError extends Error {}

export interface PickleResult {
  value: PValue;
  /** Every global named, "module.name", in order of first appearance. */
  globals: string[];
  /** The subset of globals that name system or code-execution functions. */
  dangerous: string[];
  /** Globals outside the set this scanner knows PyTorch files to use. */
  unknown: string[];
  protocol: number;
}

/** Modules or functions that have no business in a weights file: importing or calling them runs code. */
const DANGEROUS_MODULES = [
  'os', 'posix', 'nt', 'subprocess', 'sys', 'shutil', 'socket', 'importlib', 'runpy', 'pickle', '_pickle', 'marshal',
  'ctypes', 'pty', 'webbrowser', 'code', 'codeop', 'commands', 'popen2', 'platform', 'multiprocessing', 'asyncio',
  'urllib', 'http', 'requests', 'ftplib', 'telnetlib', 'smtplib', 'signal', 'threading', 'tempfile', 'pathlib', 'io',
  'zipimport', 'pydoc', 'timeit', 'cProfile', 'profile', 'pdb', 'bdb', 'trace', 'venv', 'ensurepip', 'pip', 'setuptools',
];
const DANGEROUS_BUILTINS = new Set([
  'eval', 'exec', 'compile', 'open', '__import__', 'getattr', 'setattr', 'delattr', 'globals', 'locals', 'vars',
  'input', 'breakpoint', 'apply', 'execfile', 'file', 'reload', '__builtins__', 'help', 'memoryview', 'type', 'object',
]);

export function isDangerousGlobal(module: string, name: string): boolean {
  const root = module.split('.')[0];
  if (DANGEROUS_MODULES.includes(root)) return true;
  if (root === 'builtins' || root === '__builtin__' || root === '__main__') return DANGEROUS_BUILTINS.has(name) || root === '__main__';
  if (root === 'types' && /^(FunctionType|CodeType|LambdaType|MethodType)$/.test(name)) return true;
  if (root === 'operator' && /^(attrgetter|methodcaller|itemgetter)$/.test(name)) return true;
  if (root === 'functools' && name === 'partial') return true;
  if ((module === 'torch' || module === 'torch.serialization' || module === 'torch.jit') && name === 'load') return true;
  if (module.startsWith('torch.hub')) return true;
  if (root === 'numpy' && /(^|\.)(load|loads|fromfile|testing)/.test(name)) return true;
  return false;
}

/** Globals PyTorch checkpoints and TorchScript archives normally name. */
function isKnownGlobal(module: string, name: string): boolean {
  if (module.startsWith('__torch__')) return true;
  if (module === 'torch' && /Storage$|^(Size|device|dtype|float\w*|bfloat16|half|int\w*|uint\w*|bool|long|short|double|complex\w*|qint\w*|quint\w*|per_tensor_affine|per_channel_affine|strided|sparse_coo|channels_last|contiguous_format|preserve_format)$/.test(name)) return true;
  if (module.startsWith('torch._utils') || module.startsWith('torch._tensor') || module.startsWith('torch.jit._pickle')) return true;
  if (module.startsWith('torch.nn.') || module === 'torch.nn' || module.startsWith('torch.storage') || module === 'torch.serialization') return true;
  if (module.startsWith('torch.ao.') || module.startsWith('torch.nn.quantized') || module.startsWith('torch.quantization')) return true;
  if (module === 'collections' && (name === 'OrderedDict' || name === 'defaultdict')) return true;
  if (module === 'builtins' || module === '__builtin__') return /^(set|frozenset|slice|complex|bytearray|bytes|list|dict|tuple|int|float|str|bool|range)$/.test(name);
  if (module === '_codecs' && name === 'encode') return true;
  if (module.startsWith('numpy')) return /^(_reconstruct|scalar|dtype|ndarray|_frombuffer)$/.test(name);
  if (module === 'copyreg' && name === '_reconstructor') return true;
  if (module === 'argparse' && name === 'Namespace') return true;
  return false;
}

const MAX_OPS = 50_000_000;
/**
 * Totals per pickle, whatever the opcodes: containers and records created (a 20 KB compressed pickle can ask for
 * 20 million dicts) and items stored in them (one memoised value appended millions of times).
 */
const MAX_OBJECTS = 2_000_000;
const MAX_ITEMS = 10_000_000;
/** Distinct globals listed (the scan goes on; the lists say they were cut). */
const MAX_GLOBALS_LISTED = 1000;

/**
 * Scans a pickle and returns the simulated top-level value. `persistentLoad` turns BINPERSID ids into values.
 * Throws PickleError for malformed input (the caller wraps it into a ModelFileError with the file name).
 */
export function scanPickle(buf: Buffer, persistentLoad: (pid: PValue) => PValue = () => null): PickleResult {
  const stack: StackItem[] = [];
  const memo = new Map<number, PValue>();
  const dangerous: string[] = [];
  const unknown: string[] = [];
  let protocol = 0;
  let pos = 0;
  let ops = 0;
  let objects = 0;
  let itemsStored = 0;

  const fail = (msg: string): never => {
    throw new PickleError(`pickle ${msg} (at byte ${pos})`);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > buf.length) fail('is truncated');
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = buf.readUInt16LE(pos);
    pos += 2;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = buf.readInt32LE(pos);
    pos += 4;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = buf.readBigUInt64LE(pos);
    pos += 8;
    if (v > BigInt(buf.length)) fail(`length ${v} runs past the end`);
    return Number(v);
  };
  const take = (n: number): Buffer => {
    need(n);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('has an unterminated text argument');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): PValue => {
    if (stack.length === 0) fail('pops from an empty stack');
    const v = stack.pop()!;
    if (v instanceof Mark) fail('pops a MARK as a value');
    return v as PValue;
  };
  const top = (): PValue => {
    if (stack.length === 0) fail('reads an empty stack');
    const v = stack[stack.length - 1];
    if (v instanceof Mark) fail('reads a MARK as a value');
    return v as PValue;
  };
  const popMark = (): PValue[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] instanceof Mark) {
        const items = stack.slice(i + 1) as PValue[];
        stack.length = i;
        return items;
      }
    }
    return fail('has no MARK to pop to');
  };
  /** Counts a container or record created; past the budget the pickle is refused. */
  const made = <T>(v: T): T => {
    if (++objects > MAX_OBJECTS) fail(`creates more than ${MAX_OBJECTS} objects`);
    return v;
  };
  /** Counts items stored into containers. */
  const stored = (n: number): void => {
    itemsStored += n;
    if (itemsStored > MAX_ITEMS) fail(`stores more than ${MAX_ITEMS} items in lists, tuples and dicts`);
  };
  /** The items down to the last MARK, counted as stored (they go into a container). */
  const popItems = (): PValue[] => {
    const list = popMark();
    stored(list.length);
    return list;
  };
  // One record per distinct global (records are immutable): a global named a million times costs one lookup each.
  const globalsSeen = new Map<string, PGlobal>();
  const pushGlobal = (module: string, name: string): void => {
    const full = `${module}.${name}`;
    let g = globalsSeen.get(full);
    if (!g) {
      g = made(new PGlobal(module, name));
      globalsSeen.set(full, g);
      // Every dangerous global is kept (the file is refused with their names); unknown ones up to a limit.
      if (isDangerousGlobal(module, name)) dangerous.push(full);
      else if (!isKnownGlobal(module, name) && unknown.length < MAX_GLOBALS_LISTED) unknown.push(full);
    }
    stack.push(g);
  };
  const parseLong = (b: Buffer): number | bigint => {
    if (b.length === 0) return 0;
    if (b.length > 64) return Number.NaN;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const textInt = (s: string): number | boolean => {
    const t = s.trim().replace(/L$/, '');
    if (t === '00') return false;
    if (t === '01') return true;
    const n = Number(t);
    return Number.isFinite(n) ? n : Number.NaN;
  };
  const unquote = (s: string): string => {
    const t = s.trim();
    return (t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"')) ? t.slice(1, -1) : t;
  };

  for (;;) {
    if (++ops > MAX_OPS) fail(`has more than ${MAX_OPS} opcodes`);
    if (pos >= buf.length) fail('ends without STOP');
    const op = buf[pos++];
    switch (op) {
      case 0x80: // PROTO
        protocol = u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), globals: [...globalsSeen.keys()].slice(0, MAX_GLOBALS_LISTED), dangerous: dangerous.slice(0, MAX_GLOBALS_LISTED), unknown, protocol };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        if (stack.length === 0) fail('pops from an empty stack');
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x49: // INT
        stack.push(textInt(line()));
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4c: // LONG
        stack.push(Number(line().trim().replace(/L$/, '')));
        break;
      case 0x8a: // LONG1
        stack.push(parseLong(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('has a negative LONG4 length');
        stack.push(parseLong(take(n)));
        break;
      }
      case 0x46: // FLOAT
        stack.push(Number(line()));
        break;
      case 0x47: {
        // BINFLOAT
        need(8);
        stack.push(buf.readDoubleBE(pos));
        pos += 8;
        break;
      }
      case 0x53: // STRING
        stack.push(unquote(line()));
        break;
      case 0x54: {
        // BINSTRING
        const n = i32();
        if (n < 0) fail('has a negative string length');
        stack.push(take(n).toString('latin1'));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        stack.push(take(u8()).toString('latin1'));
        break;
      case 0x56: // UNICODE
        stack.push(line());
        break;
      case 0x58: // BINUNICODE
        stack.push(take(u32()).toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(take(u8()).toString('utf8'));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(take(u64()).toString('utf8'));
        break;
      case 0x42: // BINBYTES
        stack.push(made(new PBytes(take(u32()).length)));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(made(new PBytes(take(u8()).length)));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(made(new PBytes(take(u64()).length)));
        break;
      case 0x97: // NEXT_BUFFER (out-of-band buffer: not available here)
        stack.push(made(new PBytes(0)));
        break;
      case 0x98: // READONLY_BUFFER
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x5d: // EMPTY_LIST
        stack.push(made(new PList()));
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        stored(1);
        if (l instanceof PList) l.items.push(v);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: {
        // ADDITEMS (sets are read as lists)
        const items = popItems();
        const l = top();
        if (l instanceof PList) for (const v of items) l.items.push(v);
        break;
      }
      case 0x6c: // LIST
      case 0x91: // FROZENSET
        stack.push(made(new PList(popItems())));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(made(new PTuple([])));
        break;
      case 0x74: // TUPLE
        stack.push(made(new PTuple(popItems())));
        break;
      case 0x85: // TUPLE1
        stored(1);
        stack.push(made(new PTuple([pop()])));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stored(2);
        stack.push(made(new PTuple([a, b])));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stored(3);
        stack.push(made(new PTuple([a, b, c])));
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(made(new PDict()));
        break;
      case 0x64: {
        // DICT
        const items = popItems();
        const d = made(new PDict());
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        const d = top();
        stored(1);
        if (d instanceof PDict) d.set(k, v);
        else if (d instanceof PObject && d.cls instanceof PGlobal) {
          // OrderedDict-like objects built by REDUCE receive items through SETITEM.
          if (!(d.state instanceof PDict)) d.state = made(new PDict());
          (d.state as PDict).set(k, v);
        }
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popItems();
        const d = top();
        const target = d instanceof PDict ? d : d instanceof PObject ? (d.state instanceof PDict ? d.state : (d.state = made(new PDict()))) : null;
        if (target instanceof PDict) for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(made(new PList()));
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: {
        // GET
        const k = Number(line());
        if (!memo.has(k)) fail(`reads memo slot ${k}, which was never written`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x68: {
        // BINGET
        const k = u8();
        if (!memo.has(k)) fail(`reads memo slot ${k}, which was never written`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x6a: {
        // LONG_BINGET
        const k = u32();
        if (!memo.has(k)) fail(`reads memo slot ${k}, which was never written`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        pushGlobal(module, name);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('has a STACK_GLOBAL whose module and name are not strings');
        pushGlobal(module as string, name as string);
        break;
      }
      case 0x69: {
        // INST
        const module = line();
        const name = line();
        pushGlobal(module, name);
        const cls = pop();
        stack.push(made(new PObject(cls, popItems())));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popItems();
        if (items.length === 0) fail('has an OBJ without a class');
        stack.push(made(new PObject(items[0], items.slice(1))));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(made(new PObject(cls, args instanceof PTuple ? args.items : [])));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        stack.push(made(new PObject(cls, args instanceof PTuple ? args.items : [])));
        break;
      }
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: {
        // EXT4
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : i32();
        pushGlobal('copyreg-extension', String(code));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(made(reduce(fn, args instanceof PTuple ? args.items : [])));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PObject) obj.state = state;
        break;
      }
      case 0x50: // PERSID
        stack.push(made(persistentLoad(line())));
        break;
      case 0x51: // BINPERSID
        stack.push(made(persistentLoad(pop())));
        break;
      default:
        fail(`has an unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
    if (stack.length > 10_000_000) fail('stack grows beyond 10,000,000 items');
  }
}

const num = (v: PValue | undefined): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number.NaN);
const ints = (v: PValue | undefined): number[] | null => {
  if (!(v instanceof PTuple || v instanceof PList)) return null;
  const out = v.items.map(num);
  return out.every((x) => Number.isSafeInteger(x)) ? out : null;
};

/** Interprets the calls that rebuild tensors; every other call becomes an inert PObject. */
function reduce(fn: PValue, args: PValue[]): PValue {
  if (!(fn instanceof PGlobal)) return new PObject(fn, args);
  const full = fn.full;
  switch (full) {
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor_v3': {
      const [storage, offset, size, stride] = args;
      const sz = ints(size);
      const st = ints(stride) ?? [];
      if (storage instanceof PStorage && sz) return new PTensor(storage, num(offset), sz, st);
      return new PObject(fn, args);
    }
    case 'torch._utils._rebuild_qtensor': {
      const [storage, offset, size, stride, qparams] = args;
      const sz = ints(size);
      if (!(storage instanceof PStorage) || !sz) return new PObject(fn, args);
      const t = new PTensor(storage, num(offset), sz, ints(stride) ?? []);
      if (qparams instanceof PTuple) {
        const scheme = qparams.items[0];
        const schemeName = scheme instanceof PGlobal ? scheme.name : String(scheme);
        if (/per_tensor/.test(schemeName)) t.quant = { scheme: schemeName, scale: [num(qparams.items[1])], zeroPoint: [num(qparams.items[2])] };
        else t.quant = { scheme: schemeName, axis: num(qparams.items[3]) };
      }
      return t;
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      const t = args[0];
      if (t instanceof PTensor) t.isParameter = true;
      return t ?? null;
    }
    case 'torch._tensor._rebuild_from_type_v2': {
      const [inner, , innerArgs] = args;
      return reduce(inner, innerArgs instanceof PTuple ? innerArgs.items : []);
    }
    case 'collections.OrderedDict':
    case 'collections.defaultdict':
      return new PDict();
    case 'torch.jit._pickle.build_intlist':
    case 'torch.jit._pickle.build_doublelist':
    case 'torch.jit._pickle.build_boollist':
    case 'torch.jit._pickle.build_tensorlist':
    case 'torch.jit._pickle.build_genericlist':
    case 'torch.jit._pickle.restore_type_tag':
    case 'torch.Size':
      return args[0] ?? null;
    case 'torch.device':
      return typeof args[0] === 'string' ? args[0] : null;
    case 'copyreg._reconstructor':
      return new PObject(args[0] ?? null, []);
    default:
      return new PObject(fn, args);
  }
}
