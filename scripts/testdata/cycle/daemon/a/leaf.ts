// A leaf of a that b needs: a → b → a at folder level.
export const leaf = (): number => 1;
