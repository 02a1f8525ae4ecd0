import { api } from '../../api';
import { Loaded, useLoad } from '../../components/common';

const yn = (v: boolean | null) => (v === true ? 'yes' : v === false ? 'no' : 'unknown (refused)');

export function Instruments() {
  // the list carries summaries; licences come with each full definition
  const state = useLoad(async () => Promise.all((await api.instruments()).map((i) => api.instrument(i.id))), []);
  return (
    <section>
      <h1 tabIndex={-1}>Instruments and licences</h1>
      <p>Instruments are data files. One whose licence does not cover this deployment's declared
        use is refused; an unknown permission counts as refused.</p>
      <Loaded state={state} what="instruments">
        {(list) => (
          <div className="table-scroll"><table className="data" data-testid="instruments">
            <caption>{list.length} instruments</caption>
            <thead><tr><th scope="col">Instrument</th><th scope="col">Items</th><th scope="col">Respondent</th><th scope="col">Usable here</th>
              <th scope="col">Wording shipped</th><th scope="col">Clinical / research / commercial</th><th scope="col">Licence holder</th></tr></thead>
            <tbody>{list.map((i) => (
              <tr key={i.id}>
                <th scope="row">{i.title} <span className="hint">({i.id} {i.version})</span></th>
                <td>{i.item_count}</td><td>{i.respondent}</td>
                <td>{i.administrable ? 'yes' : <strong>no</strong>}</td>
                <td>{i.item_text_shipped ? 'yes' : 'no'}</td>
                <td>{yn(i.licence.permitted_uses.clinical)} / {yn(i.licence.permitted_uses.research)} / {yn(i.licence.permitted_uses.commercial)}</td>
                <td>{i.licence.url ? <a href={i.licence.url} rel="noreferrer noopener" target="_blank">{i.licence.holder}</a> : i.licence.holder}</td>
              </tr>
            ))}</tbody>
          </table></div>
        )}
      </Loaded>
    </section>
  );
}
