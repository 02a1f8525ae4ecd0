import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import phq9 from '../fixtures/phq9.json';
import waiSr from '../fixtures/wai_sr.json';
import cnip from '../fixtures/cnip.json';
import ors from '../fixtures/ors.json';
import { Questionnaire } from './Questionnaire';
import { ApiError } from '../api';
import type { Instrument } from '../types';

const PHQ9 = phq9 as unknown as Instrument;
const WAI = waiSr as unknown as Instrument;

function groups() {
  return screen.getAllByRole('radiogroup');
}

describe('Questionnaire renders from the definition', () => {
  it('an instrument whose licence keeps its instructions back (null from the API) shows none', () => {
    render(<Questionnaire instrument={{ ...WAI, instructions: null }} onSubmit={() => {}} />);
    expect(document.querySelector('.instructions')).toBeNull();
    expect(groups()).toHaveLength(WAI.items.length);
  });

  it('labelled by the page\'s heading where the page names it, with no heading of its own', () => {
    render(<><h1 id="page-title">{PHQ9.title}</h1><Questionnaire instrument={PHQ9} titleId="page-title" onSubmit={() => {}} /></>);
    expect(screen.queryByRole('heading', { level: 2 })).toBeNull();
    expect(screen.getByRole('form', { name: PHQ9.title })).toBeTruthy();
  });

  it('one labelled radio group per item, one labelled radio per option', () => {
    render(<Questionnaire instrument={PHQ9} onSubmit={() => {}} />);
    expect(screen.getByRole('heading', { level: 2, name: PHQ9.title })).toBeTruthy();
    expect(screen.getByText(PHQ9.instructions!)).toBeTruthy();
    const g = groups();
    expect(g).toHaveLength(PHQ9.items.length);
    PHQ9.items.forEach((item, i) => {
      // the group's accessible name is the item's number and wording
      expect(g[i].getAttribute('aria-labelledby')).toBeTruthy();
      const legend = document.getElementById(g[i].getAttribute('aria-labelledby')!)!;
      expect(legend.textContent).toContain(item.text!);
      const radios = within(g[i]).getAllByRole('radio');
      expect(radios).toHaveLength(item.response.options!.length);
      item.response.options!.forEach((o) => {
        expect(within(g[i]).getByRole('radio', { name: o.label })).toBeTruthy();
      });
    });
    // required only where the item is scored
    expect(g[0].getAttribute('aria-required')).toBe('true');
    expect(g[9].getAttribute('aria-required')).toBe('false');
  });

  it('uses item labels and says so when the wording is licensed (WAI-SR)', () => {
    render(<Questionnaire instrument={WAI} onSubmit={() => {}} />);
    expect(screen.getByRole('note').textContent).toMatch(/licensed/);
    const legend = document.getElementById(groups()[0].getAttribute('aria-labelledby')!)!;
    expect(legend.textContent).toContain('Item 1 (task)');
  });

  it('refuses an instrument its licence does not permit here', () => {
    render(<Questionnaire instrument={{ ...PHQ9, administrable: false }} onSubmit={() => {}} />);
    expect(screen.queryByRole('form')).toBeNull();
    expect(screen.queryAllByRole('radio')).toHaveLength(0);
    expect(screen.getByRole('note').textContent).toMatch(/cannot be given/);
  });
});

describe('Questionnaire validation', () => {
  it('names every unanswered item in a focused summary and marks each group invalid', async () => {
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    render(<Questionnaire instrument={PHQ9} onSubmit={onSubmit} />);
    await user.click(within(groups()[0]).getByRole('radio', { name: 'Several days' }));
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    expect(onSubmit).not.toHaveBeenCalled();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('8 questions need attention');
    expect(alert.textContent).toContain('Question 2 (“Feeling down, depressed, or hopeless”) needs an answer.');
    expect(alert.textContent).not.toContain('Question 1 ');
    expect(alert.textContent).not.toContain('Question 10 ');
    await waitFor(() => expect(document.activeElement).toBe(alert));
    const g = groups();
    expect(g[0].getAttribute('aria-invalid')).toBeNull();
    expect(g[1].getAttribute('aria-invalid')).toBe('true');
    // the group is described by its own message
    const err = document.getElementById(g[1].getAttribute('aria-describedby')!)!;
    expect(err.textContent).toMatch(/^Question 2 .*needs an answer\.$/);
  });

  it('a link in the summary moves focus to the item', async () => {
    const user = userEvent.setup();
    render(<Questionnaire instrument={PHQ9} onSubmit={() => {}} />);
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    await user.click(screen.getByRole('link', { name: /^Question 4 / }));
    expect(document.activeElement).toBe(within(groups()[3]).getAllByRole('radio')[0]);
  });

  it('answering after a refused submit keeps focus on the item (no jump back to the summary)', async () => {
    const user = userEvent.setup();
    render(<Questionnaire instrument={PHQ9} onSubmit={() => {}} />);
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    await user.click(screen.getByRole('link', { name: /^Question 1 / }));
    await user.keyboard(' ');
    const radios = within(groups()[0]).getAllByRole('radio');
    expect((radios[0] as HTMLInputElement).checked).toBe(true);
    expect(document.activeElement).toBe(radios[0]);
  });

  it('answering an item clears its message', async () => {
    const user = userEvent.setup();
    render(<Questionnaire instrument={PHQ9} onSubmit={() => {}} />);
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    expect(groups()[1].getAttribute('aria-invalid')).toBe('true');
    await user.click(within(groups()[1]).getByRole('radio', { name: 'Not at all' }));
    expect(groups()[1].getAttribute('aria-invalid')).toBeNull();
    expect(screen.getByRole('alert').textContent).not.toContain('Question 2 ');
  });

  it('submits answers in item order, leaving optional items null', async () => {
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    render(<Questionnaire instrument={PHQ9} onSubmit={onSubmit} />);
    const choice = [0, 1, 2, 3, 0, 1, 2, 3, 0];
    for (let i = 0; i < choice.length; i++) {
      await user.click(within(groups()[i]).getByRole('radio', { name: PHQ9.items[i].response.options![choice[i]].label }));
    }
    expect(screen.getByText('9 of 10 answered')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    expect(onSubmit).toHaveBeenCalledWith([0, 1, 2, 3, 0, 1, 2, 3, 0, null]);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows the server refusal and keeps the answers', async () => {
    const user = userEvent.setup();
    const onSubmit = vi.fn().mockRejectedValue(new ApiError(422, 'Invalid answer', 'item phq9_3: value 7 not permitted'));
    render(<Questionnaire instrument={PHQ9} onSubmit={onSubmit} initial={[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]} />);
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Your answers were not saved');
    expect(alert.textContent).toContain('item phq9_3: value 7 not permitted');
    expect((within(groups()[0]).getByRole('radio', { name: 'Not at all' }) as HTMLInputElement).checked).toBe(true);
  });

  it('shows a supportive note when a risk item is endorsed', async () => {
    const user = userEvent.setup();
    render(<Questionnaire instrument={PHQ9} onSubmit={() => {}} />);
    expect(screen.queryByRole('status')).toBeNull();
    await user.click(within(groups()[8]).getByRole('radio', { name: 'Several days' }));
    expect(screen.getByRole('status').textContent).toMatch(/thoughts of being better off dead/);
  });
});

describe('Questionnaire keyboard use', () => {
  it('Tab reaches the first item; arrow keys choose within it; Tab moves to the next item', async () => {
    const user = userEvent.setup();
    render(<Questionnaire instrument={PHQ9} onSubmit={() => {}} />);
    await user.tab();
    const first = within(groups()[0]).getAllByRole('radio');
    expect(document.activeElement).toBe(first[0]);
    await user.keyboard(' ');
    expect((first[0] as HTMLInputElement).checked).toBe(true);
    await user.keyboard('{ArrowRight}');
    expect((first[1] as HTMLInputElement).checked).toBe(true);
    await user.tab();
    expect(groups()[1].contains(document.activeElement)).toBe(true);
  });

  it('the form submits with Enter from a radio', async () => {
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    render(<Questionnaire instrument={PHQ9} onSubmit={onSubmit} initial={[1, 1, 1, 1, 1, 1, 1, 1, 0, null]} />);
    within(groups()[0]).getAllByRole('radio')[1].focus();
    await user.keyboard('{Enter}');
    expect(onSubmit).toHaveBeenCalledTimes(1);
  });
});

describe('the C-NIP form', () => {
  it('names its items and options by the scale\'s poles, not "first-named pole"', () => {
    render(<Questionnaire instrument={cnip as unknown as Instrument} onSubmit={() => {}} />);
    const first = screen.getAllByRole('radiogroup')[0];
    expect(first.textContent).toMatch(/Therapist directiveness vs client directiveness, question 1 of 5/);
    expect(within(first).getByLabelText('+1: a slight preference for therapist directiveness')).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/named pole|Item 1 \(/);
  });
});

describe('an instrument answered on lines (ORS, with a licence declared in an overlay)', () => {
  const ORS = ors as unknown as Instrument;

  it('renders each line as a slider and a number box, unanswered until moved or typed', () => {
    render(<Questionnaire instrument={ORS} onSubmit={() => {}} />);
    expect(screen.queryAllByRole('radiogroup')).toHaveLength(0);
    expect(screen.getAllByRole('slider')).toHaveLength(ORS.items.length);
    const boxes = screen.getAllByRole('spinbutton', { name: 'Your mark' });
    expect(boxes).toHaveLength(ORS.items.length);
    expect(boxes[0].getAttribute('step')).toBe('0.1');
    expect(screen.getAllByRole('slider')[0].getAttribute('aria-valuetext')).toBe('not answered');
    expect(screen.getByText('0 of 4 answered')).toBeTruthy();
  });

  it('submits typed marks, and names a mark off the line\'s steps before sending anything', async () => {
    const onSubmit = vi.fn();
    const user = userEvent.setup();
    render(<Questionnaire instrument={ORS} onSubmit={onSubmit} />);
    const boxes = screen.getAllByRole('spinbutton', { name: 'Your mark' });
    for (const [k, v] of ['6.2', '7', '10', '6.24'].entries()) await user.type(boxes[k], v);
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toContain('6.24 is not a number from 0 to 10 in steps of 0.1');
    await user.clear(boxes[3]);
    await user.type(boxes[3], '0');
    await user.click(screen.getByRole('button', { name: 'Submit answers' }));
    expect(onSubmit).toHaveBeenCalledWith([6.2, 7, 10, 0]);
  });

  it('moving the slider sets the mark and shows it in the box', () => {
    render(<Questionnaire instrument={ORS} onSubmit={() => {}} />);
    const slider = screen.getAllByRole('slider')[0];
    fireEvent.change(slider, { target: { value: '4.3' } });
    expect((screen.getAllByRole('spinbutton', { name: 'Your mark' })[0] as HTMLInputElement).value).toBe('4.3');
    expect(screen.getByText('1 of 4 answered')).toBeTruthy();
  });
});
