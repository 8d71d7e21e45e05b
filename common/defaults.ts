// Defaults both sides share: where the server layout lives and where the stack sources are, when
// the workflow (srv_root, stacks_source) or the operator (--root, --source) names none.
export const DEFAULT_ROOT = '/srv';
export const DEFAULT_STACKS_SOURCE = '/opt/seisei-odoo-addons/infra/stacks';
