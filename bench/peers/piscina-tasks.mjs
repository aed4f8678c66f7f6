// Task file for the piscina peer.
export default function noop(value) {
  return value;
}
export function sumFirst(array) {
  return array[0] + array[array.length - 1];
}
