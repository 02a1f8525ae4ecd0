import type { Role } from './types';

export interface NavEntry { path: string; label: string }

/** What each role sees in the navigation; a page outside a role's list is refused. */
export const NAV: Record<Role, NavEntry[]> = {
  client: [
    { path: '/', label: 'Home' },
    { path: '/intake', label: 'About you' },
    { path: '/therapists', label: 'Therapists who fit' },
    { path: '/questionnaires', label: 'Questionnaires' },
    { path: '/progress', label: 'My progress' },
  ],
  therapist: [
    { path: '/', label: 'Home' },
    { path: '/caseload', label: 'Caseload' },
    { path: '/alerts', label: 'Alerts' },
    { path: '/outcomes', label: 'My outcomes' },
    { path: '/profile', label: 'My profile' },
  ],
  coordinator: [
    { path: '/', label: 'Home' },
    { path: '/waitlist', label: 'Waitlist' },
    { path: '/in-therapy', label: 'In therapy' },
    { path: '/assign', label: 'Batch assignment' },
    { path: '/capacity', label: 'Capacity' },
    { path: '/alerts', label: 'Alerts' },
    { path: '/outcomes', label: 'Outcomes' },
    { path: '/alert-settings', label: 'Alert settings' },
  ],
  researcher: [
    { path: '/', label: 'Home' },
    { path: '/analyses', label: 'Analyses' },
    { path: '/exports', label: 'Exports' },
  ],
  admin: [
    { path: '/', label: 'Home' },
    { path: '/users', label: 'Users' },
    { path: '/instruments', label: 'Instruments' },
    { path: '/audit', label: 'Audit log' },
  ],
};

/** Route prefixes a role may open (nav entries plus their sub-pages). */
export function allowed(role: Role, path: string): boolean {
  const clean = path.split('?')[0];
  if (clean === '/') return true;
  const extra: Record<Role, string[]> = {
    client: ['/questionnaires/'],
    therapist: ['/clients/', '/questionnaires/'],
    coordinator: ['/clients/'],
    researcher: [],
    admin: [],
  };
  return NAV[role].some((e) => e.path !== '/' && (clean === e.path || clean.startsWith(e.path + '/')))
    || extra[role].some((p) => clean.startsWith(p));
}
