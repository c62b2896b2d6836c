// Runs async event handlers one after the other, in call order, so a state
// machine never handles two events at once (WebCrypto calls are async).
export class SerialQueue {
  #tail = Promise.resolve();

  run(handler) {
    const result = this.#tail.then(handler);
    this.#tail = result.catch(() => {});
    return result;
  }
}
