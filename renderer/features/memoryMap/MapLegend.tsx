/** The legend under a map: each swatch repeats the shape the canvas draws, with a word. */
export function MapLegend({ showErase = true, showMismatch = false, showContent = false }: { showErase?: boolean; showMismatch?: boolean; showContent?: boolean }) {
  return (
    <ul className="map-legend" aria-label="Legend">
      <li>
        <span className="swatch swatch-cell" aria-hidden="true" /> writable
      </li>
      <li>
        <span className="swatch swatch-readonly" aria-hidden="true" /> read-only (hatched)
      </li>
      <li>
        <span className="swatch swatch-image" aria-hidden="true" /> image (its bytes, to scale)
      </li>
      {showErase && (
        <>
          <li>
            <span className="swatch swatch-erase" aria-hidden="true" /> will be erased (outline)
          </li>
          <li>
            <span className="swatch swatch-loss" aria-hidden="true" /> data outside the image lost (corner)
          </li>
        </>
      )}
      {showMismatch && (
        <li>
          <span className="swatch swatch-mismatch" aria-hidden="true" /> differs (cross)
        </li>
      )}
      {showContent && (
        <li className="legend-content">
          On the chip (band under each row): <span className="swatch swatch-content-blank" aria-hidden="true" /> blank{' '}
          <span className="swatch swatch-content-data" aria-hidden="true" /> data <span className="swatch swatch-content-matches" aria-hidden="true" /> matches the image{' '}
          <span className="swatch swatch-content-differs" aria-hidden="true" /> differs
        </li>
      )}
    </ul>
  );
}
