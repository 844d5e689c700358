import { WSDL } from 'soap';
import { EWS_CONTRACT, loadWsdlDocuments, wsdlPathOf } from './wsdl-documents.js';

/** One operation as the served WSDL describes it. */
export interface ContractOperation {
  name: string;
  soapAction: string;
  /** Local name and namespace of the request element: the first child of soap:Body. */
  requestElement: { local: string; ns: string };
  responseElement: string;
}

interface WsdlMethod {
  soapAction: string;
  input: { $name: string; targetNamespace: string };
  output: { $name: string };
}

/**
 * The operations `wsdl/` defines, read with the `soap` package's WSDL reader: the
 * contract is the file clients fetch, and the operation table is checked against it at
 * start, so code and WSDL cannot drift apart.
 */
export async function readWsdlContract(contract = EWS_CONTRACT): Promise<ContractOperation[]> {
  const wsdl = new WSDL(loadWsdlDocuments(contract).wsdl, wsdlPathOf(contract), {});
  await new Promise<void>((resolve, reject) => wsdl.onReady((error) => (error ? reject(error) : resolve())));
  const bindings = Object.values(wsdl.definitions.bindings) as { methods: Record<string, WsdlMethod> }[];
  return bindings.flatMap((binding) =>
    Object.entries(binding.methods).map(([name, method]) => ({
      name,
      soapAction: method.soapAction,
      requestElement: { local: method.input.$name, ns: method.input.targetNamespace },
      responseElement: method.output.$name,
    })),
  );
}
