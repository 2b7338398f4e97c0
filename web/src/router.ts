import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { session, loadSession, clearSession } from './session'
import { hasAny, rolesFor, countyRoles, recordRoles } from './menu'
import { onApiError } from './api/client'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    roles?: string[]
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./pages/Login.vue'), meta: { public: true } },
  // The projector: full screen, no shell.
  // The observation's route sheet, for printing: no shell.
  { path: '/observations/:id/route', name: 'observation-route', component: () => import('./pages/ObservationRoute.vue'), meta: { roles: rolesFor('observation') } },
  { path: '/meetings/:id/projector', name: 'projector', component: () => import('./pages/Projector.vue'), meta: { roles: rolesFor('meetings') } },
  {
    path: '/',
    component: () => import('./layouts/Shell.vue'),
    children: [
      { path: '', name: 'home', component: () => import('./pages/Home.vue') },
      { path: 'projects', name: 'projects', component: () => import('./pages/Projects.vue'), meta: { roles: rolesFor('projects') } },
      { path: 'projects/import', name: 'project-import', component: () => import('./pages/ProjectImport.vue'), meta: { roles: ['office', 'platform_admin'] } },
      { path: 'projects/:id/report/:week', name: 'weekly-report', component: () => import('./pages/WeeklyReport.vue'), meta: { roles: rolesFor('projects') } },
      { path: 'projects/:id', name: 'project', component: () => import('./pages/ProjectDetail.vue'), meta: { roles: rolesFor('projects') } },
      { path: 'reports', name: 'reports', component: () => import('./pages/Reports.vue'), meta: { roles: rolesFor('reports') } },
      { path: 'supervision', name: 'supervision', component: () => import('./pages/Supervision.vue'), meta: { roles: rolesFor('supervision') } },
      { path: 'meetings', name: 'meetings', component: () => import('./pages/Meetings.vue'), meta: { roles: rolesFor('meetings') } },
      { path: 'meetings/:id', name: 'sitting', component: () => import('./pages/Sitting.vue'), meta: { roles: rolesFor('meetings') } },
      { path: 'actions', name: 'actions', component: () => import('./pages/Actions.vue'), meta: { roles: rolesFor('actions') } },
      { path: 'observations', name: 'observations', component: () => import('./pages/Observations.vue'), meta: { roles: rolesFor('observation') } },
      { path: 'observations/:id', name: 'observation', component: () => import('./pages/Observation.vue'), meta: { roles: rolesFor('observation') } },
      { path: 'observations/:id/judge', name: 'observation-judge', component: () => import('./pages/ObservationJudge.vue'), meta: { roles: rolesFor('observation') } },
      { path: 'bulletins', name: 'bulletins', component: () => import('./pages/Bulletins.vue'), meta: { roles: rolesFor('bulletins') } },
      { path: 'review', name: 'review', component: () => import('./pages/Review.vue'), meta: { roles: rolesFor('review') } },
      { path: 'batch-starts', name: 'batch-starts', component: () => import('./pages/BatchStart.vue'), meta: { roles: rolesFor('batch') } },
      { path: 'inbox', name: 'inbox', component: () => import('./pages/Inbox.vue'), meta: { roles: countyRoles } },
      { path: 'assessments', name: 'assessments', component: () => import('./pages/Assessment.vue'), meta: { roles: rolesFor('assessment') } },
      { path: 'people/:id/record', name: 'person-record', component: () => import('./pages/PersonRecord.vue'), meta: { roles: recordRoles } },
      { path: 'pipeline', name: 'pipeline', component: () => import('./pages/Pipeline.vue'), meta: { roles: rolesFor('pipeline') } },
      { path: 'letters', name: 'letters', component: () => import('./pages/Letters.vue'), meta: { roles: rolesFor('letters') } },
      { path: 'units', name: 'units', component: () => import('./pages/Units.vue'), meta: { roles: rolesFor('units') } },
      { path: 'units/:id', name: 'unit', component: () => import('./pages/UnitDetail.vue'), meta: { roles: rolesFor('units') } },
      { path: 'people', name: 'people', component: () => import('./pages/People.vue'), meta: { roles: rolesFor('people') } },
      { path: 'groups', name: 'groups', component: () => import('./pages/Groups.vue'), meta: { roles: rolesFor('groups') } },
      { path: 'accounts', name: 'accounts', component: () => import('./pages/Accounts.vue'), meta: { roles: rolesFor('accounts') } },
      { path: 'settings', name: 'settings', component: () => import('./pages/Settings.vue'), meta: { roles: rolesFor('settings') } },
      { path: 'audit', name: 'audit', component: () => import('./pages/Audit.vue'), meta: { roles: rolesFor('audit') } },
      { path: 'password', name: 'password', component: () => import('./pages/ChangePassword.vue') },
      { path: '403', name: 'forbidden', component: () => import('./pages/Forbidden.vue') },
      { path: ':rest(.*)*', name: 'notfound', component: () => import('./pages/NotFound.vue') },
    ],
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.loaded) await loadSession()
  const me = session.me
  if (!me) return { name: 'login', query: { redirect: to.fullPath } }
  if (me.must_change_password && to.name !== 'password') return { name: 'password', query: { redirect: to.fullPath } }
  if (to.meta.roles && !hasAny(me.roles, to.meta.roles)) return { name: 'forbidden' }
  return true
})

// A session that ends while the console is open (idle or absolute timeout,
// logout elsewhere, password reset) sends the user to the login page and,
// after logging in, back to where they were.
onApiError((err) => {
  const current = router.currentRoute.value
  if (err.status === 401 && current.name !== 'login') {
    clearSession()
    void router.push({ name: 'login', query: { redirect: current.fullPath, expired: '1' } })
  } else if (err.code === 'password_change_required' && current.name !== 'password') {
    void router.push({ name: 'password', query: { redirect: current.fullPath } })
  }
})
