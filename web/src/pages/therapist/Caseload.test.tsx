// The caseload puts a client with an urgent open alert (a risk item) above clients with more,
// less urgent ones: one rupture raises four alerts (goal, task, bond, total).
import { describe, expect, it } from 'vitest';
import { caseloadOrder } from './Caseload';
import type { Alert } from '../../types';

const alert = (id: number, severity: Alert['severity']): Alert => ({
  id, episode_id: 1, response_id: 1, kind: severity === 'urgent' ? 'risk_item' : 'rupture', severity, detail: '',
  raised_at: '2026-11-01T10:00:00Z', acknowledged_at: null, resolved_at: null,
});

describe('caseload order', () => {
  it('puts urgent first, then more open alerts first', () => {
    const rows = [
      { name: 'rupture', open: [alert(1, 'warning'), alert(2, 'warning'), alert(3, 'warning'), alert(4, 'warning')] },
      { name: 'risk', open: [alert(5, 'urgent')] },
      { name: 'none', open: [] as Alert[] },
      { name: 'one', open: [alert(6, 'warning')] },
    ];
    expect(rows.sort(caseloadOrder).map((r) => r.name)).toEqual(['risk', 'rupture', 'one', 'none']);
  });
});
