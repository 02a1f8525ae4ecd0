// The home page speaks to every organisation: it cannot tell the demo from a real clinic, so it
// says nothing about synthetic data (docs/web.md says the demo's data are synthetic).
import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { MeContext } from '../auth';
import { Home } from './Home';

describe('Home', () => {
  it('does not tell a real clinic that its people may be synthetic', () => {
    render(<MeContext.Provider value={{ user_id: 1, org_id: 1, handle: 'therapist1', role: 'therapist', therapist_id: 4 }}><Home /></MeContext.Provider>);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Welcome, therapist1');
    expect(document.body.textContent).not.toMatch(/demo organisation|synthetic/);
  });
});
