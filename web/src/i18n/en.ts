import type zh from './zh-CN'

const en: typeof zh = {
  app: { title: 'Key Project Coordination Platform', short: 'Key Projects' },
  common: {
    save: 'Save', cancel: 'Cancel', edit: 'Edit', delete: 'Delete', add: 'Add', search: 'Search', reset: 'Reset',
    confirm: 'OK', loading: 'Loading…', empty: 'No data', actions: 'Actions', yes: 'Yes', no: 'No', more: 'Load more',
    retry: 'Retry', back: 'Back', all: 'All', saved: 'Saved', deleted: 'Deleted', active: 'Active', inactive: 'Inactive',
    confirmDelete: 'Delete “{name}”? This is recorded in the audit trail.', required: 'Required', close: 'Close',
  },
  shell: {
    county: 'County', role: 'Role', switchCounty: 'Switch county', logout: 'Log out', language: '中文',
    changePassword: 'Change password', menu: 'Menu', sessionExpired: 'Your session has expired; please log in again',
  },
  menu: {
    home: 'Home', units: 'Units', people: 'People', groups: 'Leading group & inspection', accounts: 'Users & roles',
    settings: 'Settings', audit: 'Audit trail',
  },
  roles: {
    platform_admin: 'Platform admin', municipal: 'Municipal office', leading_group: 'Leading group', office: 'Key project office',
    inspector: 'Inspector', unit_user: 'Unit user', task_force: 'Task force',
  },
  login: {
    title: 'Log in', username: 'Username', password: 'Password', submit: 'Log in',
    hint: 'Office staff, leaders, inspectors, units and task-force members log in with their county account.',
  },
  password: {
    title: 'Change password', current: 'Current password', next: 'New password', repeat: 'Repeat the new password',
    mismatch: 'The new passwords differ', rule: 'At least 10 characters, with three of: upper case, lower case, digits, symbols',
    mustChange: 'Set a new password before you continue.', done: 'Password changed',
  },
  home: {
    title: 'Dashboard', units: 'Units', townships: 'Townships', departments: 'Departments', services: 'Service units',
    people: 'People', countyLeaders: 'County leaders', groups: 'Inspection groups', unitsByKind: 'Units by kind',
    peopleByRank: 'People by rank', fieldTitle: 'My work this week', myUnit: 'My unit', myGroups: 'My groups',
    noGroups: 'Not in any group yet', projectsSoon: 'My projects this week',
    projectsSoonText: 'Once the project registry is in use, your projects, this week’s reports, site check-ins and open problems appear here.',
  },
  unit: {
    title: 'Units', code: 'Code', name: 'Name', kind: 'Kind', service: 'Service unit', parent: 'Parent unit', sort: 'Order',
    active: 'Status', groupTownship: 'Townships', groupDepartment: 'Departments', groupService: 'Service units',
    add: 'Add unit', edit: 'Edit unit', people: 'People of this unit', notFound: 'No such unit in the current county.',
    kinds: { street: 'Street', town: 'Town', township: 'Township', zone: 'Zone', department: 'Department', enterprise: 'Enterprise' },
  },
  person: {
    title: 'People', name: 'Name', post: 'Post', rank: 'Rank', unit: 'Unit', phone: 'Phone', add: 'Add person', edit: 'Edit person',
    ranks: { county_leader: 'County leader', section_level: 'Section level', other: 'Other' },
  },
  group: {
    title: 'Leading group, office and inspection groups', members: 'Members', addMember: 'Add member', position: 'Position',
    person: 'Person', leadUnit: 'Lead unit', noMembers: 'No members', remove: 'Remove',
    kinds: { leading_group: 'Leading group', project_office: 'Key project office', inspection: 'Inspection group' },
    positions: { leader: 'Leader', deputy: 'Deputy', member: 'Member', director: 'Director', staff: 'Staff' },
  },
  account: {
    title: 'Users & roles', username: 'Username', displayName: 'Name', person: 'Person', roles: 'Roles', status: 'Status',
    disabled: 'Disabled', enabled: 'Active', add: 'Add user', edit: 'Edit user', password: 'Initial password',
    reset: 'Reset password', resetConfirm: 'Reset the password of “{name}”? All their sessions end.',
    tempPassword: 'Temporary password', tempPasswordHint: 'Tell the person through a safe channel; it must be changed at first login.',
    mustChange: 'Must change password',
  },
  settings: {
    title: 'Settings', inForce: 'In force since {date}', versions: 'Versions', effectiveFrom: 'Effective from', reason: 'Reason',
    newVersion: 'Save as new version', saved: 'Saved; in force from {date}', readonly: 'Only the key project office can change settings.',
    hint: 'Settings are versioned by effective date: rules already applied never change.',
    sections: {
      stall: 'Stall escalation (M1.3)', presence: 'Site presence (M2.2)', report: 'Weekly report (M3.4)', progress: 'Substantive progress',
      cadence: 'Meeting and inspection cadences (M1.1)', review: 'Joint review (M3.7)', ranking: 'Rewards and penalties (§5)', weights: 'Scoring weights (sum 100)',
    },
    weekdays: ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    every: 'every', week: 'week(s)', month: 'month(s)',
    fields: {
      stall_unit_head_weeks: 'Weeks without progress → unit head on TV questioning',
      stall_county_leader_weeks: 'Weeks without progress → county leader on TV questioning',
      visits_chief_per_week: 'Chief site visits per week', visits_assistant_per_week: 'Assistant site visits per week',
      visits_responsible_per_week: 'Responsible person visits per week', helper_days_per_week: 'Helper days on site per week',
      visit_radius_meters: 'Visit radius (m)', report_deadline_weekday: 'Report due (weekday)', report_deadline_time: 'Report due (time)',
      week_close_weekday: 'Week closes (weekday)', week_close_time: 'Week closes (time)', min_photos_per_report: 'Minimum photos per report',
      progress_min_investment_yuan: 'Investment increase counting as progress (yuan)',
      progress_min_image_points: 'Image progress increase counting as progress (points)',
      cadence_weekly_meeting: 'Weekly meeting', cadence_inspection: 'Inspection', cadence_monthly_meeting: 'Monthly meeting',
      cadence_observation: 'Observation', cadence_batch_start: 'Batch ground-breaking', cadence_bimonthly_report: 'Bi-monthly report',
      cadence_semiannual_review: 'Semi-annual review', cadence_joint_review: 'Joint review meeting',
      joint_review_deadline_days: 'Deadline for items not finished at the meeting (days)',
      ranking_top_n: 'Top places', ranking_bottom_n: 'Bottom places',
      township_rewards_yuan: 'Township rewards (yuan by rank, comma separated)', township_fines_yuan: 'Township fines (yuan from the bottom, comma separated)',
      fiscal_cut_percent: 'Fiscal cut for townships without key projects (%)',
      weight_investment: 'Investment', weight_node_plan: 'Node plan', weight_observation: 'Observation', weight_supervision: 'Supervision',
      service_units_rewarded: 'Service units rewarded',
    },
    badAmounts: 'Enter whole amounts separated by commas',
  },
  audit: { title: 'Audit trail', at: 'Time', actor: 'By', action: 'Action', entity: 'Object', requestId: 'Request', changes: 'Changes' },
  errors: {
    forbidden: 'Not allowed', forbiddenText: 'Your role cannot use this page.', notFound: 'Not found',
    notFoundText: 'What you are looking for does not exist, or is not in the current county.', home: 'Back to the dashboard',
  },
}
export default en
