// Which pages each role sees (P3). The API enforces the same rules; this
// only keeps people from meeting doors they cannot open.
export type Role = 'platform_admin' | 'municipal' | 'leading_group' | 'office' | 'inspector' | 'unit_user' | 'task_force' | 'statistics'

export interface MenuItem {
  key: 'home' | 'projects' | 'reports' | 'supervision' | 'meetings' | 'actions' | 'bulletins' | 'observation' | 'review' | 'batch' | 'assessment' | 'pipeline' | 'letters' | 'units' | 'people' | 'groups' | 'accounts' | 'settings' | 'audit'
  path: string
  roles: Role[]
  /** Its i18n key when not menu.<key>. */
  label?: string
}

const everyone: Role[] = ['platform_admin', 'municipal', 'leading_group', 'office', 'inspector', 'unit_user', 'task_force', 'statistics']
const desk: Role[] = ['platform_admin', 'municipal', 'leading_group', 'office']
/** Roles that work inside a county (the inbox, issued bulletins). */
export const countyRoles: Role[] = ['municipal', 'leading_group', 'office', 'inspector', 'unit_user', 'task_force', 'statistics']

export const MENU: MenuItem[] = [
  { key: 'home', path: '/', roles: everyone },
  { key: 'projects', path: '/projects', roles: everyone },
  { key: 'reports', path: '/reports', roles: [...desk, 'inspector'] },
  { key: 'supervision', path: '/supervision', roles: [...desk, 'inspector'] },
  // Every county role: desk roles see every sitting, others those they chair
  // or are expected at; a unit its own actions (the API decides).
  { key: 'meetings', path: '/meetings', roles: countyRoles },
  { key: 'actions', path: '/actions', roles: countyRoles },
  { key: 'bulletins', path: '/bulletins', roles: countyRoles },
  // The monthly observation: the office creates and closes; any county role
  // may be a judge (the API lists a judge the events they judge).
  { key: 'observation', path: '/observations', roles: countyRoles, label: 'observation.menu' },
  // Joint review (联审联批): desk roles read the figures, a service unit its
  // own open items; batch ground-breaking rounds (双月开工) every county role.
  { key: 'review', path: '/review', roles: ['municipal', 'leading_group', 'office', 'inspector', 'unit_user'] },
  { key: 'batch', path: '/batch-starts', roles: countyRoles },
  // The assessment (考核): the office computes and adjusts, the leading group
  // approves, the municipal office reads; a unit sees its own line and rates
  // the service units it dealt with.
  { key: 'assessment', path: '/assessments', roles: ['municipal', 'leading_group', 'office', 'unit_user'], label: 'assessment.menu' },
  { key: 'pipeline', path: '/pipeline', roles: desk },
  { key: 'letters', path: '/letters', roles: [...desk, 'inspector', 'unit_user'] },
  { key: 'units', path: '/units', roles: everyone },
  { key: 'people', path: '/people', roles: everyone },
  { key: 'groups', path: '/groups', roles: everyone },
  { key: 'accounts', path: '/accounts', roles: ['office', 'platform_admin'] },
  { key: 'settings', path: '/settings', roles: desk },
  { key: 'audit', path: '/audit', roles: desk },
]

export function hasAny(roles: readonly string[], allowed: readonly string[]): boolean {
  return roles.some((r) => allowed.includes(r))
}

export function visibleMenu(roles: readonly string[]): MenuItem[] {
  return MENU.filter((m) => hasAny(roles, m.roles))
}

export function rolesFor(key: MenuItem['key']): Role[] {
  return MENU.find((m) => m.key === key)?.roles ?? []
}

/** What a role may change (mirrors the API's write permissions). */
export function canWrite(roles: readonly string[], area: 'org' | 'settings' | 'accounts'): boolean {
  switch (area) {
    case 'org':
    case 'accounts':
      return hasAny(roles, ['office', 'platform_admin'])
    case 'settings':
      return roles.includes('office')
  }
}

/** Who opens a person's record (个人履职记录): desk roles anyone's, unit and
 * task-force users their own (the API decides whose). */
export const recordRoles: Role[] = ['office', 'leading_group', 'municipal', 'unit_user', 'task_force']

/** Who reads the action tracker's figures (GET /actions/figures). */
export const figureRoles: Role[] = [...desk, 'inspector']

/** Field roles work on a phone: their home is "my week", not a dashboard.
 * The statistics bureau works at a desk on monthly figures (M4.4). */
export function isFieldUser(roles: readonly string[]): boolean {
  return roles.length > 0 && !hasAny(roles, [...desk, 'statistics'])
}
