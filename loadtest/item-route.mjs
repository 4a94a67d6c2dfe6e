// What the service answers: a small JSON document for GET /api/items/:id, the same in both
// frameworks, so that only the logging differs between backends.
export function itemBody(id) {
  return {
    id,
    name: `item ${id}`,
    price: 12.5,
    currency: 'EUR',
    tags: ['bench', 'load'],
    inStock: true,
  }
}
