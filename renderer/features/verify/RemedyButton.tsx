import { useApp } from '../../storeContext.js';
import { remedyFor } from './remedy.js';

/** The one action that fixes what the diagnosis found, when there is one (remedy.ts). */
export function RemedyButton({ isPrimary = false }: { isPrimary?: boolean }) {
  const result = useApp((state) => state.session?.lastResult);
  const image = useApp((state) => state.session?.image);
  const options = useApp((state) => state.session?.settings.programOptions);
  const isBusy = useApp((state) => state.session?.job !== undefined);
  const setProgramOptions = useApp((state) => state.setProgramOptions);
  const requestProgram = useApp((state) => state.requestProgram);
  const rebaseImage = useApp((state) => state.rebaseImage);
  const remedy = remedyFor(result, image, options);
  if (!remedy) return null;
  const run = async () => {
    if (remedy.kind === 'rebase') {
      await rebaseImage(remedy.baseAddress);
      return;
    }
    if (remedy.options) await setProgramOptions(remedy.options);
    await requestProgram();
  };
  return (
    <button className={`button${isPrimary ? ' primary' : ''}`} data-testid="remedy" title={remedy.why} disabled={isBusy} onClick={() => void run()}>
      {remedy.label}
    </button>
  );
}
