import { describeForDetails } from './errorDetails.js';
import { errorText } from '../text.js';
import type { DfuErrorInfo } from '../../core/contract/programmer.js';
import type { ReactNode } from 'react';

/** An error as the user sees it: title, hint, and the raw data behind a disclosure. */
export function ErrorBox({ error, action, children }: { error: DfuErrorInfo; action?: string; children?: ReactNode }) {
  const text = errorText(error);
  return (
    <div className="error-box" role="alert">
      <div className="error-title">
        <span className="status-icon" aria-hidden="true">
          ✕
        </span>
        {action ? `${action}: ` : ''}
        {text.title}
      </div>
      <p className="error-hint">{text.hint}</p>
      {!text.isUserActionable && <p className="error-report">Please report this: save the log (Log &gt; Export) and attach it.</p>}
      {children}
      <details className="error-details">
        <summary>Details</summary>
        <pre>{describeForDetails(error)}</pre>
      </details>
    </div>
  );
}
