/** The legend under a map: each swatch repeats the shape the canvas draws, with a word. */
export function MapLegend({ showErase = true, showMismatch = false }: { showErase?: boolean; showMismatch?: boolean }) {
  return (
    <ul className="map-legend" aria-label="Legend">
      <li>
        <span className="swatch swatch-cell" aria-hidden="true" /> writable
      </li>
      <li>
        <span className="swatch swatch-readonly" aria-hidden="true" /> read-only (hatched)
      </li>
      <li>
        <span className="swatch swatch-image" aria-hidden="true" /> image
      </li>
      <li>
        <span className="swatch swatch-partial" aria-hidden="true" /> image covers part
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
    </ul>
  );
}
