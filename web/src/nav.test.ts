import { describe, expect, it } from 'vitest';
import { allowed, NAV } from './nav';
import { match } from './router';

describe('role-aware navigation', () => {
  it('every nav entry of a role is allowed for it', () => {
    for (const [role, entries] of Object.entries(NAV)) {
      for (const e of entries) expect(allowed(role as keyof typeof NAV, e.path)).toBe(true);
    }
  });
  it('a client cannot open another person\'s record or staff pages', () => {
    expect(allowed('client', '/clients/2')).toBe(false);
    expect(allowed('client', '/caseload')).toBe(false);
    expect(allowed('client', '/audit')).toBe(false);
    expect(allowed('client', '/questionnaires/phq9')).toBe(true);
  });
  it('researchers see neither caseloads nor client records', () => {
    expect(allowed('researcher', '/clients/1')).toBe(false);
    expect(allowed('researcher', '/caseload')).toBe(false);
  });
  it('does not confuse prefixes', () => {
    expect(allowed('admin', '/usersX')).toBe(false);
  });
});

describe('match', () => {
  it('extracts parameters and ignores the query', () => {
    expect(match('/clients/:id', '/clients/12?x=1')).toEqual({ id: '12' });
    expect(match('/clients/:id', '/clients')).toBeNull();
    expect(match('/', '/')).toEqual({});
  });
});
