import { api, type Schemas } from './api/client'

export type Project = Schemas['Project']
export type Category = Schemas['Category']
export type ProcedureType = Schemas['ProcedureType']

export const LEVELS = ['provincial', 'municipal', 'county'] as const
export const TYPES = ['new', 'continuing', 'completing'] as const
export const STATUSES = ['preparing', 'under_construction', 'completed', 'suspended'] as const
export const ROLES = ['chief', 'assistant', 'responsible', 'helper'] as const
export const NODES = ['site_ready', 'main_start', 'construction', 'acceptance', 'in_use'] as const
export const PROC_STATUSES = ['pending', 'in_progress', 'done', 'not_needed'] as const
export const FLAGS = ['accept_with_deficiencies', 'merged_assessment', 'regional_assessment', 'joint_acceptance', 'agency_service'] as const

export function loadCategories(): Promise<Category[]> {
  return api.get('/api/v1/project-categories')
}
export function loadProcedureTypes(): Promise<ProcedureType[]> {
  return api.get('/api/v1/procedure-types')
}
