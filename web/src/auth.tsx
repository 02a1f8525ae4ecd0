import { createContext, useContext } from 'react';
import type { Me } from './types';

export const MeContext = createContext<Me | null>(null);

/** The signed-in user (pages are only rendered when there is one). */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in page');
  return me;
}
