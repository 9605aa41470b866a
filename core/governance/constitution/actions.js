// The default constitution's actions: for each, `check(args)` returns what is wrong with
// its arguments (or undefined), and `apply(args, proposalId)` carries it out through ccf.
// (Plain script, no imports: the files of this folder are concatenated and run in the
// constitution sandbox; see core/governance/constitution.ts for what `ccf` offers.)
'use strict';

const TABLES = {
  members: 'public:ccf.gov.members.info',
  users: 'public:ccf.gov.users.info',
  codeIds: 'public:ccf.gov.nodes.code_ids',
  constitution: 'public:ccf.gov.constitution',
};

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAddress = (v) => typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v);
const isHex = (v, length) => typeof v === 'string' && (length === undefined ? /^([0-9a-fA-F]{2})+$/ : new RegExp('^[0-9a-fA-F]{' + length + '}$')).test(v);
const isDecimal = (v) => typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v);

/** What is wrong with `args` given the argument names it requires and allows, or undefined. */
function checkArgs(args, required, optional) {
  if (!isObject(args)) return 'its arguments must be an object';
  for (const name of required) if (!(name in args)) return 'missing ' + name;
  for (const name of Object.keys(args)) if (!required.includes(name) && !optional.includes(name)) return 'unknown argument ' + name;
  return undefined;
}

/** checkArgs, and that the argument `idName` is an address. */
function checkIdArgs(args, idName, required, optional) {
  const wrong = checkArgs(args, required, optional);
  if (wrong) return wrong;
  if (!isAddress(args[idName])) return idName + ' must be an address (0x and 40 hex digits)';
  return undefined;
}

/** checkArgs for actions of one argument `name` that must be hex (of `length` digits, if given). */
function checkHexArg(args, name, length) {
  const wrong = checkArgs(args, [name], []);
  if (wrong) return wrong;
  if (!isHex(args[name], length)) return name + (length === undefined ? ' must be hex' : ' must be ' + length + ' hex digits');
  return undefined;
}

function memberOf(id) {
  const member = ccf.kv.get(TABLES.members, id);
  if (member === undefined) throw new Error(id + ' is not a member');
  return member;
}

function userOf(id) {
  const user = ccf.kv.get(TABLES.users, id);
  if (user === undefined) throw new Error(id + ' is not a user');
  return user;
}

const ACTIONS = {
  set_member: {
    check(args) {
      const wrong = checkIdArgs(args, 'member_id', ['member_id', 'encryption_key'], ['data']);
      if (wrong) return wrong;
      if (!isHex(args.encryption_key, 64)) return 'encryption_key must be an X25519 public key (64 hex digits)';
      return undefined;
    },
    apply(args) {
      const id = args.member_id.toLowerCase();
      const existing = ccf.kv.get(TABLES.members, id);
      const member = { encryptionKey: args.encryption_key.toLowerCase(), status: existing ? existing.status : 'Accepted' };
      if (args.data !== undefined) member.data = args.data;
      ccf.kv.set(TABLES.members, id, member);
    },
  },
  remove_member: {
    check: (args) => checkIdArgs(args, 'member_id', ['member_id'], []),
    apply(args) {
      const id = args.member_id.toLowerCase();
      memberOf(id);
      const activeLeft = ccf.kv.entries(TABLES.members).filter(([other, m]) => other !== id && m.status === 'Active').length;
      if (activeLeft === 0) throw new Error('removing ' + id + ' would leave no active member');
      ccf.kv.delete(TABLES.members, id);
    },
  },
  set_member_data: {
    check: (args) => checkIdArgs(args, 'member_id', ['member_id', 'data'], []),
    apply(args) {
      const id = args.member_id.toLowerCase();
      ccf.kv.set(TABLES.members, id, Object.assign(memberOf(id), { data: args.data }));
    },
  },
  set_user: {
    check(args) {
      const wrong = checkIdArgs(args, 'user_id', ['user_id'], ['roles', 'data']);
      if (wrong) return wrong;
      if (args.roles !== undefined && !(Array.isArray(args.roles) && args.roles.every((r) => typeof r === 'string' && r.length > 0))) return 'roles must be a list of role names';
      return undefined;
    },
    apply(args) {
      const user = { roles: args.roles === undefined ? [] : args.roles };
      if (args.data !== undefined) user.data = args.data;
      ccf.kv.set(TABLES.users, args.user_id.toLowerCase(), user);
    },
  },
  remove_user: {
    check: (args) => checkIdArgs(args, 'user_id', ['user_id'], []),
    apply(args) {
      const id = args.user_id.toLowerCase();
      userOf(id);
      ccf.kv.delete(TABLES.users, id);
    },
  },
  set_user_data: {
    check: (args) => checkIdArgs(args, 'user_id', ['user_id', 'data'], []),
    apply(args) {
      const id = args.user_id.toLowerCase();
      ccf.kv.set(TABLES.users, id, Object.assign(userOf(id), { data: args.data }));
    },
  },
  transition_node_to_trusted: {
    check: (args) => checkHexArg(args, 'node_id', 64),
    apply(args) {
      ccf.node.trust(args.node_id.toLowerCase());
    },
  },
  remove_node: {
    check: (args) => checkHexArg(args, 'node_id', 64),
    apply(args) {
      ccf.node.retire(args.node_id.toLowerCase());
    },
  },
  add_node_code: {
    check: (args) => checkHexArg(args, 'measurement'),
    apply(args) {
      ccf.kv.set(TABLES.codeIds, args.measurement.toLowerCase(), 'AllowedToJoin');
    },
  },
  remove_node_code: {
    check: (args) => checkHexArg(args, 'measurement'),
    apply(args) {
      const measurement = args.measurement.toLowerCase();
      if (!ccf.kv.has(TABLES.codeIds, measurement)) throw new Error(measurement + ' is not an allowed code measurement');
      ccf.kv.delete(TABLES.codeIds, measurement);
    },
  },
  set_constitution: {
    check(args) {
      const wrong = checkArgs(args, ['constitution'], []);
      if (wrong) return wrong;
      if (typeof args.constitution !== 'string' || args.constitution.trim() === '') return 'constitution must be JavaScript source text';
      return undefined;
    },
    apply(args) {
      ccf.kv.set(TABLES.constitution, 0, args.constitution);
    },
  },
  transition_service_to_open: {
    check: (args) => checkArgs(args, [], []),
    apply() {
      ccf.service.open();
    },
  },
  trigger_snapshot: {
    check: (args) => checkArgs(args, [], []),
    apply() {
      ccf.snapshot.trigger();
    },
  },
};

/** What is wrong with one action (its name and arguments), or undefined. */
function checkAction(action) {
  if (!isObject(action) || typeof action.name !== 'string') return 'an action must be { name, args }';
  const definition = Object.prototype.hasOwnProperty.call(ACTIONS, action.name) ? ACTIONS[action.name] : undefined;
  if (!definition) return action.name + ': no such action';
  const wrong = definition.check(action.args === undefined ? {} : action.args);
  return wrong === undefined ? undefined : action.name + ': ' + wrong;
}
